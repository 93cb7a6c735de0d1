import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { MAX_BODY_BYTES } from '../../shared/http/dialect-handler';

export interface ApiFirewallProps {
  /** The stage to protect. */
  readonly stage: apigateway.Stage;
  /** Requests one client IP may make in any 5-minute window before WAF blocks it. */
  readonly rateLimitPer5Min: number;
  /**
   * Requests one client IP may make to the anonymous auth engine routes (`/auth/v1/...`) in any
   * 5-minute window before WAF blocks it; lower than `rateLimitPer5Min`.
   */
  readonly anonymousRateLimitPer5Min: number;
}

/** Name of the rate-based rule (also its CloudWatch metric). */
export const RATE_RULE_NAME = 'RateLimitPerIp';

/** Name of the stricter rate-based rule for the anonymous auth engine routes (also its CloudWatch metric). */
export const ANONYMOUS_RATE_RULE_NAME = 'RateLimitAnonymousAuthPerIp';

/** Name of the rule that blocks bodies over the API's own limit (also its CloudWatch metric). */
export const BODY_SIZE_RULE_NAME = 'BodyOverApiLimit';

/**
 * Rules of AWS's common rule set that only count: the API legitimately carries what they block.
 * `SizeRestrictions_BODY` blocks bodies over a fixed 8 KB while the v2 schema takes e-mail
 * templates of up to 20,000 characters (a 2,700-character Hindi template is 8.2 KB); the body
 * size rule below enforces the API's real limit instead. `CrossSiteScripting_BODY` blocks HTML
 * e-mail templates, which tenants legitimately send; the API answers JSON only (nosniff) and
 * never reflects a body as a page. `NoUserAgent_HEADER` blocks server clients
 * that send no User-Agent, which the server-to-server dialects are.
 */
export const COUNTED_COMMON_RULES = [
  'SizeRestrictions_BODY',
  'CrossSiteScripting_BODY',
  'NoUserAgent_HEADER',
];

/**
 * What the anonymous rule looks for in the URI path WAF inspects. The Capillary auth engine routes
 * (`/auth/v1/...` and `/auth/v1/web/...`) take no client secret, only a brand name, so they get a
 * stricter per-IP limit than the rest of the API.
 */
export const ANONYMOUS_ROUTE_MARKER = '/auth/v1/';

/**
 * A regional WAF web ACL in front of the API stage: AWS's common rule set against generic exploits
 * (minus the rules the API legitimately trips, which count), a body size rule at the API's own
 * limit, and per-IP rate limits (a stricter one for the anonymous auth engine routes, a global one for
 * everything), the first defence against SMS pumping and code guessing (the engine's
 * per-destination limits are the second).
 */
export class ApiFirewall extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: ApiFirewallProps) {
    super(scope, id);
    // Metrics only. Sampled requests would keep up to 3 hours of matched requests with every
    // header, so HTTP Basic client secrets and bearer JWTs would sit in the WAF console and API.
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: false,
      metricName,
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('OtpApiWebAcl'),
      // WAF inspects 8 KB of an API Gateway body by default and treats the rest as oversize; 64 KB
      // (the most it offers, billed above 16 KB) lets the body size rule measure up to the API's
      // own limit.
      associationConfig: { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: 'KB_64' } } },
      rules: [
        {
          name: ANONYMOUS_RATE_RULE_NAME,
          priority: 0,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: props.anonymousRateLimitPer5Min,
              aggregateKeyType: 'IP',
              evaluationWindowSec: 300,
              // Only requests matching the scope-down are counted and blocked. A web ACL on a REST
              // API stage inspects the path the client sent: through the default execute-api
              // endpoint that path starts with the stage name (`/prod/auth/v1/otp/generate`),
              // through a custom domain it starts with the base path mapping, if any, and not with
              // the stage. CONTAINS `/auth/v1/` matches the auth engine routes in every one of
              // these cases, where STARTS_WITH `/prod/auth/v1/` would silently stop matching behind
              // a custom domain. No other route contains `/auth/v1/` (path parameters are single
              // segments), so the looser match only also counts requests that reach no route.
              // WAF inspects the path as sent, percent-encoding and all, while API Gateway decodes
              // it before routing: URL_DECODE makes `/%61uth/v1/…` count too, and NORMALIZE_PATH
              // (after it) `/auth//v1/…` and `/auth/./v1/…`, in case the gateway resolves those.
              // Either only widens what is counted.
              scopeDownStatement: {
                byteMatchStatement: {
                  fieldToMatch: { uriPath: {} },
                  positionalConstraint: 'CONTAINS',
                  searchString: ANONYMOUS_ROUTE_MARKER,
                  textTransformations: [
                    { priority: 0, type: 'URL_DECODE' },
                    { priority: 1, type: 'NORMALIZE_PATH' },
                  ],
                },
              },
            },
          },
          visibilityConfig: visibility(ANONYMOUS_RATE_RULE_NAME),
        },
        {
          name: RATE_RULE_NAME,
          priority: 1,
          action: { block: {} },
          statement: {
            rateBasedStatement: {
              limit: props.rateLimitPer5Min,
              aggregateKeyType: 'IP',
              evaluationWindowSec: 300,
            },
          },
          visibilityConfig: visibility(RATE_RULE_NAME),
        },
        {
          // The API's own limit (the Lambda answers 413 in the dialect's shape above it), at the
          // edge so an oversized body costs no invocation. A body past the 64 KB inspection limit
          // cannot be measured and counts as a match (OversizeHandling MATCH).
          name: BODY_SIZE_RULE_NAME,
          priority: 2,
          action: { block: {} },
          statement: {
            sizeConstraintStatement: {
              fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
              comparisonOperator: 'GT',
              size: MAX_BODY_BYTES,
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
          visibilityConfig: visibility(BODY_SIZE_RULE_NAME),
        },
        {
          name: 'AWSManagedRulesCommonRuleSet',
          priority: 3,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: {
              vendorName: 'AWS',
              name: 'AWSManagedRulesCommonRuleSet',
              ruleActionOverrides: COUNTED_COMMON_RULES.map((name) => ({ name, actionToUse: { count: {} } })),
            },
          },
          visibilityConfig: visibility('AWSManagedRulesCommonRuleSet'),
        },
      ],
    });

    const association = new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
    // The association fails if it is created before the stage exists.
    association.node.addDependency(props.stage);
  }
}
