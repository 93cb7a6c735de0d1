import { describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { addOtpService, STACK_ID } from '../../lib/otp-app';
import { stackIdFor } from '../../lib/settings';
import { METRIC_NAMES } from '../../shared/events/metrics';
import { CDK_JSON_CONTEXT, inlineCodeExcept, resourcesOf, SYNTH_CONTEXT, synthStack } from './synth';

// One synth for the default assertions: they only read the template.
const { template } = synthStack();

const alarmByDescription = (template: Template, description: RegExp) => {
  const found = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).filter((a) =>
    description.test(String(a.Properties?.AlarmDescription)),
  );
  expect(found).toHaveLength(1);
  return found[0]?.Properties as Record<string, unknown>;
};

/** The dashboard body with its Fn::Join flattened (tokens as JSON), to search for metrics. */
const dashboardBody = (template: Template): string => {
  const [dashboard] = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
  return JSON.stringify(dashboard?.Properties?.DashboardBody);
};

const DOMAIN = {
  domainName: 'otp.example.com',
  certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123',
};

describe('operating the stack', () => {
  describe('sesFromAddress', () => {
    it('fails the synth with a message naming the key when a deploy does not give it', () => {
      expect(() => synthStack({ sesFromAddress: undefined })).toThrow(
        /Context "sesFromAddress" is required.*-c sesFromAddress=/,
      );
      expect(CDK_JSON_CONTEXT).not.toHaveProperty('sesFromAddress');
    });

    it('lets a sam local template (never deployable) fall back to the example sender', () => {
      const { template: sam } = synthStack({ sesFromAddress: undefined, samLocal: 'true' });
      sam.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ SES_FROM_ADDRESS: 'no-reply@example.com' }) },
      });
    });

    it('passes the given sender to the functions', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ SES_FROM_ADDRESS: SYNTH_CONTEXT.sesFromAddress }) },
      });
    });
  });

  describe('stages', () => {
    const appWith = (context: Record<string, unknown>) => {
      const app = new App({
        context: { ...SYNTH_CONTEXT, ...context },
        builtinCloudFormationValidation: false,
        stackTraces: false,
      });
      return addOtpService(app, { codeOverrides: inlineCodeExcept() });
    };

    it('names the stack OtpService-<stage> with -c stage, and keeps OtpServiceStack without', () => {
      expect(appWith({ stage: 'prod' }).stackName).toBe('OtpService-prod');
      expect(appWith({}).stackName).toBe(STACK_ID);
      expect(STACK_ID).toBe('OtpServiceStack');
    });

    it('refuses a stage that cannot be part of a stack name', () => {
      for (const bad of ['Prod', 'prod_1', '1prod', 'a'.repeat(21), 'pr od'])
        expect(() => stackIdFor(bad)).toThrow(/Context "stage"/);
    });

    it('gives two stages apart metric namespaces and exports nothing that could clash', () => {
      const templates = ['dev', 'prod'].map((stage) => Template.fromStack(appWith({ stage })));
      const namespaces = templates.map((t) =>
        Object.values(resourcesOf(t, 'AWS::Lambda::Function')).map(
          (f) =>
            (f.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables
              ?.POWERTOOLS_METRICS_NAMESPACE,
        ),
      );
      expect(new Set(namespaces[0])).toEqual(new Set(['OtpService/OtpService-dev']));
      expect(new Set(namespaces[1])).toEqual(new Set(['OtpService/OtpService-prod']));
      for (const t of templates)
        for (const output of Object.values(t.toJSON().Outputs as Record<string, object>))
          expect(output).not.toHaveProperty('Export');
    });
  });

  describe('tracing', () => {
    it('turns on X-Ray active tracing on every function, receipts and fallback included', () => {
      const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).filter(
        (f) => f.Properties?.Runtime !== undefined && String(f.Properties.Runtime).startsWith('nodejs24'),
      );
      expect(functions.length).toBe(8);
      for (const f of functions) expect(f.Properties?.TracingConfig).toEqual({ Mode: 'Active' });
    });

    it('never switches the subsegments off or captures responses through the environment', () => {
      for (const f of Object.values(resourcesOf(template, 'AWS::Lambda::Function'))) {
        const variables = (f.Properties?.Environment as { Variables?: Record<string, string> } | undefined)
          ?.Variables;
        expect(variables?.POWERTOOLS_TRACE_ENABLED).toBeUndefined();
        expect(variables?.POWERTOOLS_TRACER_CAPTURE_RESPONSE).toBeUndefined();
      }
    });
  });

  describe('dashboard', () => {
    const body = dashboardBody(template);

    it('shows every lifecycle metric the functions publish, in their namespace', () => {
      expect(body).toContain('OtpService/OtpServiceStack');
      for (const name of ['Issued', 'Verified', 'VerifyFailed', 'Sent', 'Delivered', 'SendFailed', 'Refused'])
        expect(body).toContain(name);
      expect(METRIC_NAMES).toEqual(expect.arrayContaining(['DeliveryFailed', 'Refused']));
      expect(body).toContain('Channel,Country');
      expect(body).toContain('Reason,Rule');
    });

    it('shows Lambda errors and duration, API 4xx/5xx, DynamoDB throttles and WAF blocks', () => {
      for (const metric of [
        '"AWS/Lambda","Errors"',
        '"AWS/Lambda","Duration"',
        '"AWS/ApiGateway","4XXError"',
        '"AWS/ApiGateway","5XXError"',
        '"AWS/DynamoDB","ReadThrottleEvents"',
        '"AWS/DynamoDB","WriteThrottleEvents"',
        '"AWS/WAFV2","BlockedRequests"',
      ])
        expect(body.replace(/\\"/g, '"')).toContain(metric);
    });
  });

  describe('alarms', () => {
    it('alarms on WAF blocked requests of the stack web ACL', () => {
      const alarm = alarmByDescription(template, /^WAF blocked 100\+ requests/);
      expect(alarm.Threshold).toBe(100);
      const metric = JSON.stringify(alarm.Metrics);
      expect(metric).toContain('"MetricName":"BlockedRequests","Namespace":"AWS/WAFV2"');
      expect(metric).toContain('"Stat":"Sum"');
      // The web ACL's name, cut from its Ref (`name|id|scope`), and every rule.
      expect(metric).toContain('Fn::Split');
      expect(metric).toContain('{"Name":"Rule","Value":"ALL"}');
    });

    it('alarms on any DynamoDB read or write throttle of the table', () => {
      const alarm = alarmByDescription(template, /^DynamoDB throttled/);
      expect(alarm.Threshold).toBe(1);
      const names = JSON.stringify(alarm.Metrics);
      expect(names).toContain('ReadThrottleEvents');
      expect(names).toContain('WriteThrottleEvents');
    });

    it('alarms on failed SMS, at send and by receipt, on the SMS channel only', () => {
      const alarm = alarmByDescription(template, /SMS failed in 15 minutes/);
      expect(alarm.Threshold).toBe(10);
      const metrics = JSON.stringify(alarm.Metrics);
      expect(metrics).toContain('"MetricName":"SendFailed"');
      expect(metrics).toContain('"MetricName":"DeliveryFailed"');
      expect(metrics).toContain('{"Name":"Channel","Value":"SMS"}');
    });

    it('takes thresholds from context', () => {
      const { template: t } = synthStack({ wafBlockAlarmThreshold: '7', smsFailureAlarmThreshold: '3' });
      expect(alarmByDescription(t, /^WAF blocked/).Threshold).toBe(7);
      expect(alarmByDescription(t, /SMS failed/).Threshold).toBe(3);
    });

    it('has no alarm action unless a topic or an e-mail is given', () => {
      for (const a of Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')))
        expect(a.Properties?.AlarmActions).toBeUndefined();
    });

    it('sends every alarm to a topic of its own with an e-mail subscription given alarmEmail', () => {
      const { template: t } = synthStack({ alarmEmail: 'ops@example.com' });
      t.resourceCountIs('AWS::SNS::Topic', 2); // the receipt topic and the alarm topic
      t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
      const alarms = Object.values(resourcesOf(t, 'AWS::CloudWatch::Alarm'));
      expect(alarms.length).toBeGreaterThanOrEqual(3 + 1 + 12);
      for (const a of alarms) expect(a.Properties?.AlarmActions).toHaveLength(1);
    });

    it("sends every alarm to the operator's topic given alarmTopicArn", () => {
      const arn = 'arn:aws:sns:eu-west-1:123456789012:ops';
      const { template: t } = synthStack({ alarmTopicArn: arn });
      for (const a of Object.values(resourcesOf(t, 'AWS::CloudWatch::Alarm')))
        expect(a.Properties?.AlarmActions).toEqual([arn]);
    });

    it('refuses an alarm e-mail that is not an address', () => {
      expect(() => synthStack({ alarmEmail: 'ops' })).toThrow(/Context "alarmEmail"/);
    });
  });

  describe('custom domain', () => {
    it('maps a regional TLS 1.2 domain to the stage, writes the alias and outputs the URL', () => {
      const { template: t } = synthStack({
        ...DOMAIN,
        domainBasePath: 'otp',
        hostedZoneId: 'Z123',
        hostedZoneName: 'example.com',
      });
      t.hasResourceProperties('AWS::ApiGateway::DomainName', {
        DomainName: 'otp.example.com',
        RegionalCertificateArn: DOMAIN.certificateArn,
        EndpointConfiguration: { Types: ['REGIONAL'] },
        SecurityPolicy: 'TLS_1_2',
      });
      t.hasResourceProperties('AWS::ApiGateway::BasePathMapping', { BasePath: 'otp' });
      t.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'otp.example.com.',
        Type: 'A',
        HostedZoneId: 'Z123',
      });
      t.hasOutput('CustomDomainUrl', { Value: 'https://otp.example.com/otp/' });
    });

    it('outputs the CNAME target instead of a record when no hosted zone is given', () => {
      const { template: t } = synthStack(DOMAIN);
      t.resourceCountIs('AWS::Route53::RecordSet', 0);
      t.hasOutput('CustomDomainUrl', { Value: 'https://otp.example.com/' });
      t.hasOutput('*', { Description: Match.stringLikeRegexp('^Operator action: CNAME otp.example.com') });
    });

    it('has no domain by default', () => {
      template.resourceCountIs('AWS::ApiGateway::DomainName', 0);
      expect(Object.keys(template.toJSON().Outputs)).not.toContain('CustomDomainUrl');
    });

    it.each([
      [{ domainName: 'otp.example.com' }, /go together/],
      [{ certificateArn: DOMAIN.certificateArn }, /go together/],
      [{ ...DOMAIN, certificateArn: 'arn:aws:iam::1:server-certificate/x' }, /ACM certificate ARN/],
      [{ ...DOMAIN, hostedZoneId: 'Z123' }, /hostedZoneId" and "hostedZoneName/],
      [{ ...DOMAIN, hostedZoneId: 'Z1', hostedZoneName: 'other.com' }, /not in hosted zone/],
      [{ ...DOMAIN, domainBasePath: '/v1' }, /domainBasePath/],
      [{ hostedZoneId: 'Z1', hostedZoneName: 'example.com' }, /need "domainName"/],
    ])('refuses an incomplete or inconsistent domain: %j', (context, message) => {
      expect(() => synthStack(context)).toThrow(message);
    });
  });
});
