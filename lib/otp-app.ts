import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OtpServiceStack, type OtpServiceStackProps } from './otp-stack';

/** The stack's id, and so the name of its template: `cdk.out/OtpServiceStack.template.json`. */
export const STACK_ID = 'OtpServiceStack';

/**
 * Adds the service to an app and registers cdk-nag's AWS Solutions checks, so every synth fails on
 * a finding that is neither fixed nor acknowledged with a reason. `bin/app.ts` and the tests both
 * build the app through here.
 */
export const addOtpService = (app: App, props: OtpServiceStackProps = {}): OtpServiceStack => {
  const stack = new OtpServiceStack(app, STACK_ID, {
    description: 'Self-hostable OTP service: REST API behind WAF, one Lambda per vendor dialect, DynamoDB',
    ...props,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
};
