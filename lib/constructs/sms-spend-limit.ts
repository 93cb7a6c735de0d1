import { Stack, Validations } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

/** The id CDK gives the singleton function behind every AwsCustomResource of a stack. */
const AWS_CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

export interface SmsSpendLimitProps {
  /** USD per month across the account's SMS; SNS refuses values above the account's quota. */
  readonly monthlySpendLimitUsd: number;
}

/**
 * Sets the account's SNS SMS `MonthlySpendLimit` (the last line of defence against SMS pumping:
 * SNS stops sending SMS for the rest of the month once it is reached). The attribute is
 * account-wide, so the stack only sets it when the operator names a value (context
 * `smsMonthlySpendLimit`), and leaves it as it is on delete.
 */
export class SmsSpendLimit extends Construct {
  constructor(scope: Construct, id: string, props: SmsSpendLimitProps) {
    super(scope, id);
    const call: cr.AwsSdkCall = {
      service: 'SNS',
      action: 'SetSMSAttributes',
      parameters: { attributes: { MonthlySpendLimit: String(props.monthlySpendLimitUsd) } },
      physicalResourceId: cr.PhysicalResourceId.of('sns-sms-monthly-spend-limit'),
    };
    const resource = new cr.AwsCustomResource(this, 'SetSmsAttributes', {
      onCreate: call,
      onUpdate: call,
      // SetSMSAttributes has no resource-level permissions: the action is the whole scope.
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
    });
    Validations.of(resource).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'sns:SetSMSAttributes is account-wide and supports no resource-level permissions; the policy holds only that action.',
    });
    // The custom resource's provider is a stack-wide singleton function that CDK names itself.
    const provider = Stack.of(this).node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
    const role = provider?.node.tryFindChild('ServiceRole');
    if (role) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'The CDK-managed provider of the one-shot SetSMSAttributes call; the AWS managed policy grants only its own CloudWatch Logs writes.',
      });
    }
  }
}
