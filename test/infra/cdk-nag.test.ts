import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { addOtpService } from '../../lib/otp-app';
import { inlineCodeExcept, SYNTH_CONTEXT } from './synth';

/**
 * The app exactly as `bin/app.ts` builds it, with inline code instead of five esbuild runs. CDK's
 * built-in template validation is left to `cdk synth` (it costs seconds per synth under Jest).
 */
const buildApp = (context: Record<string, unknown> = {}): App => {
  const app = new App({
    context: { ...SYNTH_CONTEXT, ...context },
    stackTraces: false,
    builtinCloudFormationValidation: false,
  });
  addOtpService(app, { codeOverrides: inlineCodeExcept() });
  return app;
};

/** Readable findings, so a failure names the rule and the construct. */
const findingsOf = (app: IConstruct): string[] =>
  new AwsSolutionsChecks(app)
    .validateScope(app)
    .violations.map(
      (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );

/** Every acknowledgement recorded with `Validations.of(x).acknowledge()`, with where it was made. */
const acknowledgementsOf = (app: IConstruct): { path: string; id: string; reason: string }[] =>
  app.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );

describe('cdk-nag', () => {
  describe('AwsSolutionsChecks', () => {
    it('reports no unacknowledged error or warning for the stack', () => {
      expect(findingsOf(buildApp())).toEqual([]);
    });

    it.each([
      [
        'a pinned SES identity',
        { sesIdentityArn: 'arn:aws:ses:eu-west-1:123456789012:identity/example.com' },
      ],
      ['an SES identity wildcard', { sesIdentityArn: 'arn:aws:ses:eu-west-1:123456789012:identity/*' }],
      ['an existing API Gateway logging role', { apiGatewayCloudWatchRole: 'false' }],
      [
        'dev removal and an alarm topic',
        { destroyOnRemoval: 'true', alarmTopicArn: 'arn:aws:sns:eu-west-1:1:a' },
      ],
      ['the SMS spend limit set by the stack', { smsMonthlySpendLimit: '50' }],
      ['API stage tracing opted in', { apiTracing: 'true' }],
      ['an alarm e-mail (a topic of its own)', { alarmEmail: 'ops@example.com' }],
      [
        'a custom domain with a hosted zone',
        {
          domainName: 'otp.example.com',
          certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123',
          hostedZoneId: 'Z123',
          hostedZoneName: 'example.com',
        },
      ],
      ['a stage', { stage: 'prod' }],
      ['SMS through End User Messaging', { smsProvider: 'end-user-messaging' }],
      [
        'a tenant webhook in the context',
        {
          webhooks: [
            {
              tenant: 'acme',
              url: 'https://hooks.acme.example/otp',
              auth: 'basic',
              username: 'otp',
              secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme-AbCdEf',
            },
          ],
        },
      ],
    ])('reports nothing with %s', (_name, context) => {
      expect(findingsOf(buildApp(context))).toEqual([]);
    });

    it('lets a full synth with the checks registered pass', () => {
      const app = buildApp();
      const assembly = app.synth();
      const report = JSON.parse(
        readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
      ) as {
        pluginReports: { violations?: unknown[] }[];
      };
      expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
      expect(assembly.getStackByName('OtpServiceStack').template.Resources).toBeDefined();
    });

    it('catches an unacknowledged finding (control for the test above)', () => {
      const app = buildApp();
      const stack = Stack.of(app.node.findChild('OtpServiceStack'));
      new secretsmanager.Secret(stack, 'UnrotatedSecret');
      expect(findingsOf(app)).toEqual([
        expect.stringMatching(/^error AwsSolutions-SMG4 at .*UnrotatedSecret/),
      ]);
      expect(() => app.synth()).toThrow(/AwsSolutions-SMG4/);
    });
  });

  describe('acknowledgements', () => {
    const acknowledgements = acknowledgementsOf(buildApp());

    it('acknowledges each finding on the resource that raises it, never stack-wide', () => {
      expect(acknowledgements.length).toBeGreaterThan(0);
      for (const ack of acknowledgements) expect(ack.path).toMatch(/^OtpServiceStack\/./);
    });

    it('gives every acknowledgement a specific reason', () => {
      for (const ack of acknowledgements) {
        expect(ack.id).toMatch(/^AwsSolutions-[A-Z]+\d+/);
        expect(ack.reason.length).toBeGreaterThanOrEqual(60);
      }
      // One reason copied across different rules would mean findings were waved through in bulk;
      // only APIG4 and COG4 share one, because they are one decision (vendor-protocol authentication).
      const rulesPerReason = new Map<string, Set<string>>();
      for (const a of acknowledgements) {
        rulesPerReason.set(a.reason, (rulesPerReason.get(a.reason) ?? new Set()).add(a.id));
      }
      for (const ids of rulesPerReason.values()) {
        if (ids.size > 1) expect([...ids].sort()).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-COG4']);
      }
    });

    it('acknowledges "*" for SMS publish and X-Ray on every function role', () => {
      const wildcard = acknowledgements.filter((a) => a.id === 'AwsSolutions-IAM5[Resource::*]');
      expect(wildcard.map((a) => a.path).sort()).toEqual([
        'OtpServiceStack/Events/ReceiptRole/DefaultPolicy',
        'OtpServiceStack/Fallback/Role/DefaultPolicy',
        ...['app-otp', 'capillary-auth', 'capillary-v2', 'loginradius', 'summitai', 'twilio-verify'].map(
          (d) => `OtpServiceStack/Fn-${d}/Role/DefaultPolicy`,
        ),
      ]);
      for (const ack of wildcard.filter((a) => a.path.includes('/Fn-')))
        expect(ack.reason).toMatch(/SNS Publish to a phone number/);
      // The receipt function sends nothing: its only "*" is X-Ray's.
      expect(wildcard.find((a) => a.path.includes('ReceiptRole'))?.reason).toMatch(/^X-Ray/);
    });
  });
});
