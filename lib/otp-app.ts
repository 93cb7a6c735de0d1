import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OtpServiceStack, type OtpServiceStackProps } from './otp-stack';
import { stackIdFor } from './settings';

/**
 * The stack's id without a stage, and so the name of its template:
 * `cdk.out/OtpServiceStack.template.json`. With `-c stage=prod` it is `OtpService-prod`.
 */
export const STACK_ID = stackIdFor(undefined);

/**
 * Adds the service to an app and registers cdk-nag's AWS Solutions checks, so every synth fails on
 * a finding that is neither fixed nor acknowledged with a reason. `bin/app.ts` and the tests both
 * build the app through here.
 */
export const addOtpService = (app: App, props: OtpServiceStackProps = {}): OtpServiceStack => {
  const stack = new OtpServiceStack(app, stackIdFor(app.node.tryGetContext('stage')), {
    description: 'Self-hostable OTP service: REST API behind WAF, one Lambda per vendor dialect, DynamoDB',
    ...props,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
};
