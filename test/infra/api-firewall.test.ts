import * as path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';
import {
  ANONYMOUS_RATE_LIMITED,
  ANONYMOUS_RATE_RULE_NAME,
  ANONYMOUS_ROUTE_MARKER,
  BODY_SIZE_RULE_NAME,
  RATE_RULE_NAME,
} from '../../lib/constructs/api-firewall';
import { STAGE_NAME } from '../../lib/constructs/otp-api';
import { GATEWAY_ANSWERS } from '../../shared/gateway-answers';
import { MAX_BODY_BYTES } from '../../shared/http/dialect-handler';
import { ROUTES } from '../../shared/routes';
import { onlyId, resourcesOf, synthStack } from './synth';

// One default synth for the file: most assertions only read the template.
const { template } = synthStack();

interface ByteMatch {
  FieldToMatch: Record<string, unknown>;
  PositionalConstraint: string;
  SearchString: string;
  TextTransformations: { Priority: number; Type: string }[];
}

interface Rule {
  Name: string;
  Priority: number;
  Action?: Record<string, unknown>;
  OverrideAction?: Record<string, unknown>;
  Statement: {
    ManagedRuleGroupStatement?: {
      VendorName: string;
      Name: string;
      RuleActionOverrides?: { Name: string; ActionToUse: Record<string, unknown> }[];
    };
    SizeConstraintStatement?: {
      FieldToMatch: { Body?: { OversizeHandling?: string } };
      ComparisonOperator: string;
      Size: number;
      TextTransformations: { Priority: number; Type: string }[];
    };
    RateBasedStatement?: {
      Limit: number;
      AggregateKeyType: string;
      EvaluationWindowSec: number;
      ScopeDownStatement?: { ByteMatchStatement?: ByteMatch };
    };
  };
  VisibilityConfig: {
    MetricName: string;
    CloudWatchMetricsEnabled: boolean;
    SampledRequestsEnabled: boolean;
  };
}

/** The web ACL's custom response bodies, by key, parsed. */
const responseBodiesOf = (t: Template): Record<string, { ContentType: string; Content: unknown }> => {
  const acls = resourcesOf(t, 'AWS::WAFv2::WebACL');
  const bodies = (acls[onlyId(acls, 'web ACL')]?.Properties?.CustomResponseBodies ?? {}) as Record<
    string,
    { ContentType: string; Content: string }
  >;
  return Object.fromEntries(
    Object.entries(bodies).map(([k, v]) => [
      k,
      { ContentType: v.ContentType, Content: JSON.parse(v.Content) },
    ]),
  );
};

/** What a blocking rule answers: status and parsed body of its custom response. */
const customAnswerOf = (t: Template, rule: Rule) => {
  const custom = (
    rule.Action?.Block as { CustomResponse?: { ResponseCode: number; CustomResponseBodyKey: string } }
  )?.CustomResponse;
  if (!custom) throw new Error(`rule ${rule.Name} has no custom response`);
  return { status: custom.ResponseCode, body: responseBodiesOf(t)[custom.CustomResponseBodyKey] };
};

/** The web ACL's rules, by name. */
const rulesOf = (t: Template): Record<string, Rule> => {
  const acls = resourcesOf(t, 'AWS::WAFv2::WebACL');
  const acl = acls[onlyId(acls, 'web ACL')];
  const rules = (acl?.Properties?.Rules ?? []) as Rule[];
  return Object.fromEntries(rules.map((r) => [r.Name, r]));
};

const ruleOf = (t: Template, name: string): Rule => {
  const rule = rulesOf(t)[name];
  if (!rule) throw new Error(`no WAF rule named ${name}`);
  return rule;
};

const anonymousRule = ruleOf(template, ANONYMOUS_RATE_RULE_NAME);
const scopeDown = anonymousRule.Statement.RateBasedStatement?.ScopeDownStatement?.ByteMatchStatement;

/** WAF's text transformations this test models; another one fails the test instead of passing by accident. */
const TRANSFORMATIONS: Record<string, (input: string) => string> = {
  NONE: (input) => input,
  // %XX sequences decoded once; a malformed one is left as it is (decodeURIComponent would throw).
  URL_DECODE: (input) =>
    input.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
  // Multiple slashes, `.` and `x/..` removed, as WAF's NORMALIZE_PATH does (not at the start).
  NORMALIZE_PATH: (input) => path.posix.normalize(input),
};

/** Whether a byte-match statement on the URI path matches a path, the way WAF evaluates it. */
const uriPathMatches = (statement: ByteMatch, uriPath: string): boolean => {
  expect(statement.FieldToMatch).toEqual({ UriPath: {} });
  const transformed = [...statement.TextTransformations]
    .sort((a, b) => a.Priority - b.Priority)
    .reduce((input, t) => {
      const transform = TRANSFORMATIONS[t.Type];
      if (!transform) throw new Error(`text transformation ${t.Type} is not modelled`);
      return transform(input);
    }, uriPath);
  const needle = statement.SearchString;
  switch (statement.PositionalConstraint) {
    case 'EXACTLY':
      return transformed === needle;
    case 'STARTS_WITH':
      return transformed.startsWith(needle);
    case 'ENDS_WITH':
      return transformed.endsWith(needle);
    case 'CONTAINS':
      return transformed.includes(needle);
    default:
      throw new Error(`positional constraint ${statement.PositionalConstraint} is not modelled`);
  }
};

/** A concrete request path for a route, path parameters filled in. */
const concretePath = (routePath: string): string => routePath.replace(/\{[^}/]+\}/g, 'sample');

/**
 * The paths WAF may see for a route: through the execute-api endpoint (prefixed by the stage
 * name) and through a custom domain mapped at its root (no stage).
 */
const seenByWaf = (routePath: string): string[] => [
  `/${STAGE_NAME}${concretePath(routePath)}`,
  concretePath(routePath),
];

const authRoutes = ROUTES.filter((r) => r.dialect === 'capillary-auth');
const otherRoutes = ROUTES.filter((r) => r.dialect !== 'capillary-auth');

describe('ApiFirewall', () => {
  describe('anonymous auth engine rule', () => {
    it('answers a blocked IP 429 in the Capillary auth engine envelope, the only dialect it covers', () => {
      expect(customAnswerOf(template, anonymousRule)).toEqual({
        status: 429,
        body: {
          ContentType: 'APPLICATION_JSON',
          Content: { status: { success: false, code: 429, message: expect.any(String) } },
        },
      });
      expect(ANONYMOUS_RATE_LIMITED.status).toBe(429);
    });

    it('blocks an IP above 100 requests per 5 minutes to the auth engine routes by default', () => {
      expect(anonymousRule).toMatchObject({
        Action: { Block: {} },
        Statement: {
          RateBasedStatement: { Limit: 100, AggregateKeyType: 'IP', EvaluationWindowSec: 300 },
        },
        VisibilityConfig: {
          MetricName: ANONYMOUS_RATE_RULE_NAME,
          CloudWatchMetricsEnabled: true,
          // Sampled requests keep every header (Basic credentials, JWTs) for 3 hours.
          SampledRequestsEnabled: false,
        },
      });
    });

    it('is the only per-IP rule that blocks: the global one only counts, so a tenant backend behind a few addresses is never blocked', () => {
      const rateRules = Object.values(rulesOf(template)).filter((r) => r.Statement.RateBasedStatement);
      expect(rateRules.filter((r) => r.Action?.Block).map((r) => r.Name)).toEqual([ANONYMOUS_RATE_RULE_NAME]);
      expect(ruleOf(template, RATE_RULE_NAME).Action).toEqual({ Count: {} });
    });

    it('is stricter than the global per-IP rule and evaluated before it', () => {
      const global = ruleOf(template, RATE_RULE_NAME);
      expect(global.Statement.RateBasedStatement?.ScopeDownStatement).toBeUndefined();
      expect(anonymousRule.Statement.RateBasedStatement?.Limit).toBeLessThan(
        global.Statement.RateBasedStatement?.Limit ?? 0,
      );
      expect(anonymousRule.Priority).toBeLessThan(global.Priority);
      expect(anonymousRule.VisibilityConfig.MetricName).not.toBe(global.VisibilityConfig.MetricName);
      const priorities = Object.values(rulesOf(template)).map((r) => r.Priority);
      expect(new Set(priorities).size).toBe(priorities.length);
    });

    it('is scoped down to the URI path of the auth engine routes, URL-decoded then normalised', () => {
      expect(scopeDown).toEqual({
        FieldToMatch: { UriPath: {} },
        PositionalConstraint: 'CONTAINS',
        SearchString: ANONYMOUS_ROUTE_MARKER,
        TextTransformations: [
          { Priority: 0, Type: 'URL_DECODE' },
          { Priority: 1, Type: 'NORMALIZE_PATH' },
        ],
      });
    });

    it.each([
      [`/${STAGE_NAME}/%61uth/v1/otp/generate`],
      ['/%61uth/v1/web/otp/validate'],
      [`/${STAGE_NAME}/%61%75%74%68/%76%31/token/generate`],
      [`/${STAGE_NAME}/auth%2Fv1%2Ftoken/generate`],
      [`/${STAGE_NAME}/auth//v1/otp/generate`],
      [`/${STAGE_NAME}/auth/./v1/otp/generate`],
    ])('counts %s, an encoded or unnormalised spelling of an auth engine route', (uriPath) => {
      if (!scopeDown) throw new Error('no scope-down statement');
      expect(uriPathMatches(scopeDown, uriPath)).toBe(true);
    });

    it.each(authRoutes.map((r) => [r.path]))('counts requests to %s, with and without the stage', (path) => {
      if (!scopeDown) throw new Error('no scope-down statement');
      for (const uriPath of seenByWaf(path)) expect(uriPathMatches(scopeDown, uriPath)).toBe(true);
    });

    it.each(otherRoutes.map((r) => [r.path]))('does not count requests to %s', (path) => {
      if (!scopeDown) throw new Error('no scope-down statement');
      for (const uriPath of seenByWaf(path)) expect(uriPathMatches(scopeDown, uriPath)).toBe(false);
    });

    it('does not count /v2/otp/generate', () => {
      if (!scopeDown) throw new Error('no scope-down statement');
      expect(uriPathMatches(scopeDown, `/${STAGE_NAME}/v2/otp/generate`)).toBe(false);
      expect(uriPathMatches(scopeDown, '/v2/otp/generate')).toBe(false);
    });
  });

  describe('common rule set', () => {
    it('counts, not blocks, the body-size, body-XSS and no-User-Agent rules the API legitimately trips', () => {
      // The v2 API carries e-mail templates of up to 20,000 characters (HTML included), over the
      // set's fixed 8 KB body limit, and server clients may send no User-Agent.
      const common = ruleOf(template, 'AWSManagedRulesCommonRuleSet');
      expect(common.OverrideAction).toEqual({ None: {} });
      expect(common.Statement.ManagedRuleGroupStatement?.RuleActionOverrides).toEqual(
        expect.arrayContaining(
          ['SizeRestrictions_BODY', 'CrossSiteScripting_BODY', 'NoUserAgent_HEADER'].map((Name) => ({
            Name,
            ActionToUse: { Count: {} },
          })),
        ),
      );
      expect(common.Statement.ManagedRuleGroupStatement?.RuleActionOverrides).toHaveLength(3);
    });
  });

  describe('body size rule', () => {
    it('blocks a body over the API limit (MAX_BODY_BYTES, 64 KB), with 64 KB of body inspected', () => {
      expect(MAX_BODY_BYTES).toBe(64 * 1024);
      const rule = ruleOf(template, BODY_SIZE_RULE_NAME);
      expect(rule).toMatchObject({
        Action: { Block: {} },
        Statement: {
          SizeConstraintStatement: {
            // A body past the inspection limit cannot be measured: oversize counts as a match.
            FieldToMatch: { Body: { OversizeHandling: 'MATCH' } },
            ComparisonOperator: 'GT',
            Size: MAX_BODY_BYTES,
            TextTransformations: [{ Priority: 0, Type: 'NONE' }],
          },
        },
        VisibilityConfig: { MetricName: BODY_SIZE_RULE_NAME, SampledRequestsEnabled: false },
      });
      // API Gateway's default inspection limit is 8 KB, so without this every body over 8 KB
      // would be oversize and blocked.
      const acls = resourcesOf(template, 'AWS::WAFv2::WebACL');
      expect(acls[onlyId(acls, 'web ACL')]?.Properties?.AssociationConfig).toEqual({
        RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_64' } },
      });
    });

    it('answers 413 {"message":"Request body too large"}, what the local runtime answers, not WAF’s default 403', () => {
      expect(customAnswerOf(template, ruleOf(template, BODY_SIZE_RULE_NAME))).toEqual({
        status: GATEWAY_ANSWERS.bodyTooLarge.status,
        body: { ContentType: 'APPLICATION_JSON', Content: GATEWAY_ANSWERS.bodyTooLarge.body },
      });
      expect(GATEWAY_ANSWERS.bodyTooLarge).toEqual({
        status: 413,
        body: { message: 'Request body too large' },
      });
    });

    it('is evaluated before the common rule set', () => {
      expect(ruleOf(template, BODY_SIZE_RULE_NAME).Priority).toBeLessThan(
        ruleOf(template, 'AWSManagedRulesCommonRuleSet').Priority,
      );
    });
  });

  describe('context', () => {
    it('takes the anonymous limit from anonymousRateLimit and leaves the global limit alone', () => {
      const { template: overridden } = synthStack({ anonymousRateLimit: '40' });
      expect(ruleOf(overridden, ANONYMOUS_RATE_RULE_NAME).Statement.RateBasedStatement?.Limit).toBe(40);
      expect(ruleOf(overridden, RATE_RULE_NAME).Statement.RateBasedStatement?.Limit).toBe(1000);
    });

    it('accepts a higher anonymous limit when wafRateLimit is raised above it', () => {
      const { template: raised } = synthStack({ wafRateLimit: 5000, anonymousRateLimit: 2000 });
      expect(ruleOf(raised, ANONYMOUS_RATE_RULE_NAME).Statement.RateBasedStatement?.Limit).toBe(2000);
      expect(ruleOf(raised, RATE_RULE_NAME).Statement.RateBasedStatement?.Limit).toBe(5000);
    });

    it.each([
      [{ anonymousRateLimit: '1000' }],
      [{ anonymousRateLimit: 1500 }],
      [{ wafRateLimit: '100' }],
      [{ wafRateLimit: '200', anonymousRateLimit: '300' }],
    ])('fails synth when anonymousRateLimit is not lower than wafRateLimit (%j)', (context) => {
      expect(() => synthStack(context)).toThrow(
        /Context "anonymousRateLimit" must be lower than "wafRateLimit" \(\d+\), got "\d+"/,
      );
    });

    it.each([['many'], ['5'], ['2.5']])('refuses anonymousRateLimit=%s and names the key', (value) => {
      expect(() => synthStack({ anonymousRateLimit: value })).toThrow('anonymousRateLimit');
    });
  });
});
