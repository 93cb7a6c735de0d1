import { createError } from '@middy/util';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { mapAuthEngineError } from '../../shared/dialects/capillary-auth/errors';
import { GATEWAY_ANSWERS } from '../../shared/gateway-answers';
import { MAX_BODY_BYTES } from '../../shared/http/dialect-handler';
import type { HttpResponse } from '../../shared/http/types';

export interface ApiFirewallProps {
  /** The stage to protect. */
  readonly stage: apigateway.Stage;
  /**
   * Requests per client IP in any 5-minute window above which WAF counts (not blocks) them, in
   * the `RateLimitPerIp` metric: a signal for the operator, never a wall for a tenant's backend.
   */
  readonly rateLimitPer5Min: number;
  /**
   * Requests one client IP may make to the anonymous auth engine routes (`/auth/v1/...`) in any
   * 5-minute window before WAF blocks it; lower than `rateLimitPer5Min`.
   */
  readonly anonymousRateLimitPer5Min: number;
}

/** Name of the counting global rate-based rule (also its CloudWatch metric). */
export const RATE_RULE_NAME = 'RateLimitPerIp';

/** Name of the stricter rate-based rule for the anonymous auth engine routes (also its CloudWatch metric). */
export const ANONYMOUS_RATE_RULE_NAME = 'RateLimitAnonymousAuthPerIp';

/** Name of the rule that blocks bodies over the API's own limit (also its CloudWatch metric). */
export const BODY_SIZE_RULE_NAME = 'BodyOverApiLimit';

/**
 * What the anonymous rate rule answers: 429 in the Capillary auth engine's envelope, the only
 * dialect whose routes it covers, made by that dialect's own error mapper so it cannot drift.
 */
export const ANONYMOUS_RATE_LIMITED: HttpResponse = mapAuthEngineError(
  createError(429, 'Too many requests from this address; retry in a few minutes'),
);

/** Keys of the web ACL's custom response bodies. */
export const RESPONSE_BODY_KEYS = {
  bodyTooLarge: 'BodyTooLarge',
  anonymousRateLimited: 'AnonymousRateLimited',
};

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
 * limit (answering 413), and a per-IP rate limit that blocks on the anonymous auth engine routes
 * only (answering 429 in that dialect's envelope), the first defence against anonymous SMS pumping
 * and code guessing there; a global per-IP rule only counts. Authenticated traffic is limited
 * per tenant and per recipient by the engine.
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
      // WAF's custom responses take precedence over API Gateway's WAF_FILTERED gateway response.
      customResponseBodies: {
        [RESPONSE_BODY_KEYS.bodyTooLarge]: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify(GATEWAY_ANSWERS.bodyTooLarge.body),
        },
        [RESPONSE_BODY_KEYS.anonymousRateLimited]: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify(ANONYMOUS_RATE_LIMITED.body),
        },
      },
      rules: [
        {
          name: ANONYMOUS_RATE_RULE_NAME,
          priority: 0,
          action: {
            block: {
              customResponse: {
                responseCode: ANONYMOUS_RATE_LIMITED.status,
                customResponseBodyKey: RESPONSE_BODY_KEYS.anonymousRateLimited,
              },
            },
          },
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
          // Counts only. The other dialects are called server to server with a tenant's
          // credential, often from a few NAT addresses, so a per-IP block would stop a tenant's
          // whole backend; their limits are per tenant and per recipient, in the engine (README,
          // Deploy). The metric still shows which addresses send the most.
          name: RATE_RULE_NAME,
          priority: 1,
          action: { count: {} },
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
          // The API's own limit, at the edge so an oversized body costs no invocation; the answer
          // is 413 `{"message":"Request body too large"}` (GATEWAY_ANSWERS.bodyTooLarge, which the
          // local runtime gives too), not the dialect's shape: WAF has one body per rule. A body
          // past the 64 KB inspection limit cannot be measured and counts as a match (OversizeHandling MATCH).
          name: BODY_SIZE_RULE_NAME,
          priority: 2,
          action: {
            block: {
              customResponse: {
                responseCode: GATEWAY_ANSWERS.bodyTooLarge.status,
                customResponseBodyKey: RESPONSE_BODY_KEYS.bodyTooLarge,
              },
            },
          },
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
