import type { Acknowledgment, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { DialectId } from '../shared/routes';

/** A delivery channel that needs an AWS permission. Zalo goes to an HTTPS provider and needs none. */
export type AwsChannel = 'sms' | 'email' | 'voice' | 'whatsapp';

/**
 * Which channels each dialect can send on (DESIGN.md §5). A function gets the permissions of its
 * own channels only, so a bug in an SMS-only dialect cannot place voice calls or WhatsApp messages.
 */
export const DIALECT_CHANNELS: Readonly<Record<DialectId, readonly AwsChannel[]>> = {
  loginradius: ['sms'],
  'app-otp': ['sms'],
  'capillary-auth': ['sms', 'email'],
  summitai: ['sms', 'email'],
  'capillary-v2': ['sms', 'email', 'voice', 'whatsapp'],
  'twilio-verify': ['sms', 'email', 'voice', 'whatsapp'],
};

/** How cdk-nag renders an IAM5 wildcard finding for a resource (pseudo parameters as `<AWS::X>`). */
const iam5 = (resource: string): string => `AwsSolutions-IAM5[Resource::${resource}]`;

/** The IAM statements for one channel plus the acknowledged cdk-nag findings they raise, with reasons. */
export interface ChannelGrant {
  readonly statements: iam.PolicyStatement[];
  readonly acknowledgements: Acknowledgment[];
}

/**
 * The grant that lets a function send on one channel, scoped as tightly as the service allows.
 * SMS's `Resource: "*"` is acknowledged by the function (it shares the finding with X-Ray).
 */
export const channelGrant = (
  stack: Stack,
  channel: AwsChannel,
  sesIdentityArn: string | undefined,
): ChannelGrant => {
  switch (channel) {
    case 'sms':
      // SNS Publish straight to a phone number has no resource ARN to scope to: IAM requires "*".
      return {
        statements: [new iam.PolicyStatement({ actions: ['sns:Publish'], resources: ['*'] })],
        acknowledgements: [],
      };
    case 'email': {
      // Tenants may send from their own verified addresses or domains, so by default any SES
      // identity of this account and region; sesIdentityArn narrows it to one identity.
      const resource =
        sesIdentityArn ?? stack.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' });
      const nagResource =
        sesIdentityArn ?? 'arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*';
      // When an identity has a default configuration set (or a send names one), SES authorises
      // ses:SendEmail against the configuration set's ARN as well and answers AccessDenied
      // without this. Which set applies is the identity's or tenant's setting, so any set of
      // this account and region, also when the identity is pinned.
      const configurationSets = stack.formatArn({
        service: 'ses',
        resource: 'configuration-set',
        resourceName: '*',
      });
      return {
        statements: [
          new iam.PolicyStatement({ actions: ['ses:SendEmail'], resources: [resource, configurationSets] }),
        ],
        acknowledgements: [
          ...(nagResource.includes('*')
            ? [
                {
                  id: iam5(nagResource),
                  reason:
                    'ses:SendEmail is limited to SES identities of this account and region; tenants configure their own verified sender identities at run time. Set context sesIdentityArn to pin one identity.',
                },
              ]
            : []),
          {
            id: iam5('arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:configuration-set/*'),
            reason:
              'SES also authorises ses:SendEmail against the configuration set an identity uses by default; which set applies is SES or tenant configuration, so the grant covers configuration sets of this account and region only, for this one action.',
          },
        ],
      };
    }
    case 'voice':
      // SendVoiceMessage is authorised against the origination identity (phone number, pool or
      // sender id); which one a tenant uses is run-time data, so scope to this account and region.
      return {
        statements: [
          new iam.PolicyStatement({
            actions: ['sms-voice:SendVoiceMessage'],
            resources: [stack.formatArn({ service: 'sms-voice', resource: '*' })],
          }),
        ],
        acknowledgements: [
          {
            id: iam5('arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:*'),
            reason:
              'SendVoiceMessage is authorised on the origination identity (phone number, pool or sender id) that each tenant configures at run time; the grant is limited to this action in this account and region.',
          },
        ],
      };
    case 'whatsapp':
      return {
        statements: [
          new iam.PolicyStatement({
            actions: ['social-messaging:SendWhatsAppMessage'],
            resources: [
              stack.formatArn({
                service: 'social-messaging',
                resource: 'phone-number-id',
                resourceName: '*',
              }),
            ],
          }),
        ],
        acknowledgements: [
          {
            id: iam5(
              'arn:<AWS::Partition>:social-messaging:<AWS::Region>:<AWS::AccountId>:phone-number-id/*',
            ),
            reason:
              'SendWhatsAppMessage is limited to linked WhatsApp phone numbers of this account and region; which number sends is per-tenant configuration read at run time.',
          },
        ],
      };
  }
};
