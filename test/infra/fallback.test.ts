import { describe, expect, it } from '@jest/globals';
import { Match } from 'aws-cdk-lib/assertions';
import { DIALECT_IDS } from '../../lib/otp-stack';
import { DIALECTS } from '../../shared/routes';
import { onlyId, resourcesOf, synthStack } from './synth';

const { template } = synthStack();

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
type PolicyProps = { PolicyDocument: { Statement: Statement[] }; Roles: Array<{ Ref: string }> };

const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).map(
  (p) => p.Properties as PolicyProps,
);
const roles = resourcesOf(template, 'AWS::IAM::Role');
const functions = resourcesOf(template, 'AWS::Lambda::Function');

const groupId = onlyId(template.findResources('AWS::Scheduler::ScheduleGroup'), 'schedule group');
/** The group's name, generated at synth (unique per stack and construct path). */
const groupName = resourcesOf(template, 'AWS::Scheduler::ScheduleGroup')[groupId]?.Properties?.Name as string;
const fallbackFnId = onlyId(
  template.findResources('AWS::Lambda::Function', {
    Properties: { Description: Match.stringLikeRegexp('fallback workflow step') },
  }),
  'fallback function',
);
const roleId = (description: string) =>
  onlyId(template.findResources('AWS::IAM::Role', { Properties: { Description: description } }), description);
const schedulerRoleId = roleId('EventBridge Scheduler: invokes the OTP fallback step function, nothing else');
const fallbackRoleId = roleId('OTP service fallback step function');

/** Every statement of every policy attached to `role`. */
const statementsOf = (role: string): Statement[] =>
  policies.filter((p) => p.Roles.some((r) => r.Ref === role)).flatMap((p) => p.PolicyDocument.Statement);
const actionsOf = (s: Statement) => [s.Action].flat();
const withAction = (role: string, action: string) =>
  statementsOf(role).filter((s) => actionsOf(s).includes(action));

/** The role of a dialect's function, by its description (the dialect's title). */
const dialectRole = (dialect: (typeof DIALECT_IDS)[number]): string => {
  const fn = Object.values(functions).find((f) => f.Properties?.Description === DIALECTS[dialect].title);
  const role = fn?.Properties?.Role as { 'Fn::GetAtt': [string] } | undefined;
  if (!role) throw new Error(`no function for ${dialect}`);
  return role['Fn::GetAtt'][0];
};

describe('FallbackWorkflows', () => {
  it('has one schedule group', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
  });

  describe('scheduler role', () => {
    it('is trusted by EventBridge Scheduler of this account only', () => {
      const trust = roles[schedulerRoleId]?.Properties?.AssumeRolePolicyDocument as {
        Statement: Statement[];
      };
      expect(trust.Statement).toEqual([
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ]);
    });

    it('may invoke the fallback function and do nothing else', () => {
      const statements = statementsOf(schedulerRoleId);
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': [fallbackFnId, 'Arn'] },
        },
      ]);
    });
  });

  describe('grants to schedule', () => {
    const schedulerGrantees: Array<[string, string]> = [
      ['the fallback function', fallbackRoleId],
      ...DIALECT_IDS.map((d): [string, string] => [d, dialectRole(d)]),
    ];

    it.each(schedulerGrantees)('lets %s create schedules in the group only', (_name, role) => {
      const [create] = withAction(role, 'scheduler:CreateSchedule');
      expect(actionsOf(create as Statement)).toEqual(['scheduler:CreateSchedule']);
      expect(JSON.stringify(create?.Resource)).toMatch(new RegExp(`:schedule/${groupName}/\\*"`));
      // Scheduling only: no update, delete or read of schedules.
      for (const action of ['scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:*'])
        expect(withAction(role, action)).toEqual([]);
    });

    it.each(schedulerGrantees)('lets %s pass the scheduler role, to Scheduler only', (_name, role) => {
      expect(withAction(role, 'iam:PassRole')).toEqual([
        {
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: { 'Fn::GetAtt': [schedulerRoleId, 'Arn'] },
          Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        },
      ]);
    });

    it('names the group, the fallback function and the scheduler role to every dialect function', () => {
      for (const dialect of DIALECT_IDS) {
        const fn = Object.values(functions).find(
          (f) => f.Properties?.Description === DIALECTS[dialect].title,
        );
        expect(fn?.Properties?.Environment).toMatchObject({
          Variables: {
            FALLBACK_SCHEDULE_GROUP: groupName,
            FALLBACK_FUNCTION_ARN: { 'Fn::GetAtt': [fallbackFnId, 'Arn'] },
            FALLBACK_SCHEDULER_ROLE_ARN: { 'Fn::GetAtt': [schedulerRoleId, 'Arn'] },
          },
        });
      }
    });
  });

  describe('fallback function', () => {
    it('runs Node.js 24 on arm64 with the group and role, but not its own ARN (it reads that from its invocation)', () => {
      const props = functions[fallbackFnId]?.Properties;
      expect(props).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
      const vars =
        (props?.Environment as { Variables: Record<string, unknown> } | undefined)?.Variables ?? {};
      expect(vars).toMatchObject({
        FALLBACK_SCHEDULE_GROUP: groupName,
        FALLBACK_SCHEDULER_ROLE_ARN: { 'Fn::GetAtt': [schedulerRoleId, 'Arn'] },
      });
      expect(vars.FALLBACK_FUNCTION_ARN).toBeUndefined();
    });

    it('reads and updates the table but never puts, deletes, queries or scans', () => {
      const table = statementsOf(fallbackRoleId).flatMap((s) =>
        actionsOf(s).filter((a) => a.startsWith('dynamodb:')),
      );
      expect(table.sort()).toEqual([
        'dynamodb:BatchGetItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
      ]);
    });

    it('sends SMS, e-mail and voice only (the fallback channels), and publishes lifecycle events', () => {
      const actions = new Set(statementsOf(fallbackRoleId).flatMap(actionsOf));
      for (const a of ['sns:Publish', 'ses:SendEmail', 'sms-voice:SendVoiceMessage', 'events:PutEvents'])
        expect(actions.has(a)).toBe(true);
      expect(actions.has('social-messaging:SendWhatsAppMessage')).toBe(false);
    });
  });
});
