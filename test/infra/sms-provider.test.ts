import { describe, expect, it } from '@jest/globals';
import { DIALECT_IDS } from '../../lib/otp-stack';
import { onlyId, resourcesOf, synthStack } from './synth';

type Statement = { Action: string | string[]; Resource: unknown };
const statementsOfRole = (
  template: ReturnType<typeof synthStack>['template'],
  rolePrefix: string,
): Statement[] =>
  Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((p) =>
      ((p.Properties?.Roles ?? []) as Array<{ Ref: string }>).some((r) => r.Ref.startsWith(rolePrefix)),
    )
    .flatMap(
      (p) => (p.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [],
    );
const sendText = (statements: Statement[]) =>
  statements.filter((s) => [s.Action].flat().includes('sms-voice:SendTextMessage'));

describe('OtpServiceStack smsProvider', () => {
  describe('end-user-messaging', () => {
    const { template } = synthStack({ smsProvider: 'end-user-messaging' });
    const setId = onlyId(template.findResources('AWS::SMSVOICE::ConfigurationSet'), 'configuration set');

    it.each(DIALECT_IDS)(
      'lets %s SendTextMessage on the stack configuration set and origination identities only',
      (dialect) => {
        const grants = sendText(statementsOfRole(template, `Fn${dialect.replace(/-/g, '')}Role`));
        expect(grants).toHaveLength(1);
        expect([grants[0]?.Action].flat()).toEqual(['sms-voice:SendTextMessage']);
        const resources = grants[0]?.Resource as unknown[];
        expect(resources[0]).toEqual({ 'Fn::GetAtt': [setId, 'Arn'] });
        const rest = JSON.stringify(resources.slice(1));
        for (const type of ['phone-number', 'pool', 'sender-id', 'opt-out-list'])
          expect(rest).toContain(`:${type}/*`);
        expect(rest).not.toContain('configuration-set');
        expect(rest).not.toMatch(/"\*"/);
      },
    );

    it('tells every function to send SMS through End User Messaging with the configuration set', () => {
      const fns = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).filter(
        (f) =>
          (f.Properties?.Environment as { Variables?: Record<string, unknown> })?.Variables?.SMS_PROVIDER,
      );
      expect(fns).toHaveLength(DIALECT_IDS.length);
      for (const f of fns)
        expect(
          (f.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables,
        ).toMatchObject({
          SMS_PROVIDER: 'end-user-messaging',
          SMS_VOICE_CONFIGURATION_SET: { Ref: setId },
        });
    });

    it('grants the receipt function nothing new (it only reads receipts)', () => {
      expect(sendText(statementsOfRole(template, 'EventsReceiptRole'))).toEqual([]);
    });
  });

  describe('sns (the default)', () => {
    it('grants SendTextMessage to no one and sets no SMS_PROVIDER', () => {
      const { template } = synthStack();
      const all = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).flatMap(
        (p) => (p.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [],
      );
      expect(sendText(all)).toEqual([]);
      expect(JSON.stringify(template.toJSON())).not.toContain('SMS_PROVIDER');
    });

    it('refuses an unknown provider at synth', () => {
      expect(() => synthStack({ smsProvider: 'pinpoint' })).toThrow(/smsProvider/);
    });
  });
});
