import { describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';
import {
  ANONYMOUS_RATE_RULE_NAME,
  ANONYMOUS_ROUTE_MARKER,
  RATE_RULE_NAME,
} from '../../lib/constructs/api-firewall';
import { STAGE_NAME } from '../../lib/constructs/otp-api';
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
  Statement: {
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

/**
 * Whether a byte-match statement on the URI path matches a path, the way WAF evaluates it. Only
 * the NONE transformation is modelled: the test fails if the rule starts using another one.
 */
const uriPathMatches = (statement: ByteMatch, uriPath: string): boolean => {
  expect(statement.FieldToMatch).toEqual({ UriPath: {} });
  expect(statement.TextTransformations).toEqual([{ Priority: 0, Type: 'NONE' }]);
  const needle = statement.SearchString;
  switch (statement.PositionalConstraint) {
    case 'EXACTLY':
      return uriPath === needle;
    case 'STARTS_WITH':
      return uriPath.startsWith(needle);
    case 'ENDS_WITH':
      return uriPath.endsWith(needle);
    case 'CONTAINS':
      return uriPath.includes(needle);
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
    it('blocks an IP above 100 requests per 5 minutes to the auth engine routes by default', () => {
      expect(anonymousRule).toMatchObject({
        Action: { Block: {} },
        Statement: {
          RateBasedStatement: { Limit: 100, AggregateKeyType: 'IP', EvaluationWindowSec: 300 },
        },
        VisibilityConfig: {
          MetricName: ANONYMOUS_RATE_RULE_NAME,
          CloudWatchMetricsEnabled: true,
          SampledRequestsEnabled: true,
        },
      });
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

    it('is scoped down to the URI path of the auth engine routes, untransformed', () => {
      expect(scopeDown).toEqual({
        FieldToMatch: { UriPath: {} },
        PositionalConstraint: 'CONTAINS',
        SearchString: ANONYMOUS_ROUTE_MARKER,
        TextTransformations: [{ Priority: 0, Type: 'NONE' }],
      });
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
