import type { Construct } from 'constructs';

/**
 * Deploy-time settings, read from CDK context (`cdk.json` or `cdk deploy -c key=value`). Values given
 * on the command line arrive as strings, so numbers and booleans are parsed here, once, and a bad
 * value fails the synth with the key's name instead of producing a broken template.
 */
export interface OtpSettings {
  /**
   * Default sender of OTP e-mails; must be a verified SES identity in the target account. Required:
   * a deploy without it fails at synth (there is no safe default sender). Only a sam local template
   * (`samLocal=true`, never deployable) falls back to `no-reply@example.com`.
   */
  readonly sesFromAddress: string;
  /** SES identity ARN the functions may send from; undefined means every identity of this account/region. */
  readonly sesIdentityArn: string | undefined;
  /**
   * WAF rate-based rule: requests per client IP in any 5-minute window above which WAF counts them
   * (metric only; it blocks nothing, see lib/constructs/api-firewall.ts).
   */
  readonly wafRateLimitPer5Min: number;
  /**
   * WAF rate-based rule for the anonymous Capillary auth engine routes (`/auth/v1/...`): requests
   * allowed per client IP in any 5-minute window. Always lower than `wafRateLimitPer5Min`.
   */
  readonly anonymousRateLimitPer5Min: number;
  /** API Gateway stage throttling: steady requests per second and burst size. */
  readonly apiRateLimit: number;
  readonly apiBurstLimit: number;
  /** Delete the table, secrets and log groups with the stack (dev accounts only). */
  readonly destroyOnRemoval: boolean;
  /** Let this stack set the account-wide API Gateway CloudWatch role (needed once per account and region for stage logging). */
  readonly apiGatewayCloudWatchRole: boolean;
  /**
   * X-Ray tracing of the API Gateway stage; off unless `-c apiTracing=true`. API Gateway's trace
   * segment records the request URL with its query string, which holds LoginRadius's `apikey`
   * and `apisecret`, so turning it on puts those secrets into X-Ray (kept 30 days).
   */
  readonly apiTracing: boolean;
  /** Powertools log level of the functions. */
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Existing SNS topic that receives alarm notifications (optional). */
  readonly alarmTopicArn: string | undefined;
  /** An e-mail address the stack subscribes to a new alarm topic of its own (optional). */
  readonly alarmEmail: string | undefined;
  /** WAF blocked requests per 5 minutes at which the WAF alarm fires. */
  readonly wafBlockAlarmThreshold: number;
  /** Failed SMS (refused at send or reported failed by a receipt) per 15 minutes at which the SMS alarm fires. */
  readonly smsFailureAlarmThreshold: number;
  /** Optional API Gateway custom domain (`domainName` + `certificateArn` context). */
  readonly customDomain: CustomDomainSettings | undefined;
  /** SNS SMS MonthlySpendLimit (USD) the stack sets for the account; undefined leaves it as it is. */
  readonly smsMonthlySpendLimit: number | undefined;
  /**
   * Who sends SMS (`-c smsProvider=end-user-messaging`): SNS `Publish` by default, as the design
   * names it, or AWS End User Messaging `SendTextMessage` with the stack's SMS-Voice v2
   * configuration set, which is what reports SMS delivery receipts (README, "Events and receipts").
   */
  readonly smsProvider: 'sns' | 'end-user-messaging';
  /**
   * `-c samLocal=true`: a template for `sam local` only (lib/sam-local.ts). The functions also
   * declare the local variables (endpoints, local keys) that `sam/env.json` sets, because
   * `sam local --env-vars` only sets variables the template declares; the template carries a
   * CloudFormation rule that refuses to deploy it.
   */
  readonly samLocal: boolean;
  /**
   * `-c sourceMaps=true`: ship each function with a linked source map and run it with
   * `--enable-source-maps`, so stack traces name the TypeScript files. Off by default: Node then
   * reads and parses the map on every cold start (lib/constructs/dialect-function.ts).
   */
  readonly sourceMaps: boolean;
}

/** A custom domain for the API: a regional API Gateway domain name with an ACM certificate of the same region. */
export interface CustomDomainSettings {
  /** `otp.example.com`. */
  readonly domainName: string;
  /** ACM certificate covering `domainName`, in the stack's region (regional endpoint). */
  readonly certificateArn: string;
  /** Path under the domain the API is mapped to (`v1` → `https://otp.example.com/v1/...`); empty: the root. */
  readonly basePath: string | undefined;
  /** Route 53 hosted zone to write the alias record in; without it the operator adds a CNAME by hand. */
  readonly hostedZone: { readonly id: string; readonly name: string } | undefined;
}

/** What the stack falls back to only for a sam local template. */
export const SAM_LOCAL_SES_FROM = 'no-reply@example.com';

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

const str = (scope: Construct, key: string): string | undefined => {
  const raw: unknown = scope.node.tryGetContext(key);
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean')
    throw new Error(`Context "${key}" must be a string, number or boolean`);
  return String(raw);
};

const positiveInt = (scope: Construct, key: string, fallback: number, min: number, max: number): number => {
  const raw = str(scope, key);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new Error(`Context "${key}" must be an integer from ${min} to ${max}, got "${raw}"`);
  return value;
};

const bool = (scope: Construct, key: string, fallback: boolean): boolean => {
  const raw = str(scope, key);
  if (raw === undefined) return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new Error(`Context "${key}" must be true or false, got "${raw}"`);
};

/** Reads and validates the stack's settings from the construct tree's context. */
export const readSettings = (scope: Construct): OtpSettings => {
  const samLocal = bool(scope, 'samLocal', false);
  const sesFromAddress = str(scope, 'sesFromAddress') ?? (samLocal ? SAM_LOCAL_SES_FROM : undefined);
  if (sesFromAddress === undefined)
    throw new Error(
      'Context "sesFromAddress" is required: the default sender of OTP e-mails, a verified SES identity of the target account (cdk deploy -c sesFromAddress=no-reply@your-domain.example)',
    );
  if (!EMAIL.test(sesFromAddress))
    throw new Error(`Context "sesFromAddress" must be an e-mail address, got "${sesFromAddress}"`);

  const sesIdentityArn = str(scope, 'sesIdentityArn');
  if (sesIdentityArn !== undefined && !/^arn:aws[a-z-]*:ses:/.test(sesIdentityArn))
    throw new Error(`Context "sesIdentityArn" must be an SES identity ARN, got "${sesIdentityArn}"`);

  const logLevel = (str(scope, 'logLevel') ?? 'INFO').toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    throw new Error(`Context "logLevel" must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);

  const alarmTopicArn = str(scope, 'alarmTopicArn');
  if (alarmTopicArn !== undefined && !/^arn:aws[a-z-]*:sns:/.test(alarmTopicArn))
    throw new Error(`Context "alarmTopicArn" must be an SNS topic ARN, got "${alarmTopicArn}"`);

  // AWS WAF accepts rate limits from 10 to 2,000,000,000 requests per evaluation window.
  const wafRateLimitPer5Min = positiveInt(scope, 'wafRateLimit', 1000, 10, 2_000_000_000);
  const anonymousRateLimitPer5Min = positiveInt(scope, 'anonymousRateLimit', 100, 10, 2_000_000_000);
  // The auth engine routes need no client secret, so their limit must be the stricter one: every
  // request counted by that rule also counts toward the global one, so an equal or higher limit
  // would never block before the global rule does.
  if (anonymousRateLimitPer5Min >= wafRateLimitPer5Min)
    throw new Error(
      `Context "anonymousRateLimit" must be lower than "wafRateLimit" (${wafRateLimitPer5Min}), got "${anonymousRateLimitPer5Min}"`,
    );

  const alarmEmail = str(scope, 'alarmEmail');
  if (alarmEmail !== undefined && !EMAIL.test(alarmEmail))
    throw new Error(`Context "alarmEmail" must be an e-mail address, got "${alarmEmail}"`);
  const smsProvider = str(scope, 'smsProvider') ?? 'sns';
  if (smsProvider !== 'sns' && smsProvider !== 'end-user-messaging')
    throw new Error(`Context "smsProvider" must be sns or end-user-messaging, got "${smsProvider}"`);

  return {
    sesFromAddress,
    smsProvider,
    sesIdentityArn,
    wafRateLimitPer5Min,
    anonymousRateLimitPer5Min,
    apiRateLimit: positiveInt(scope, 'apiRateLimit', 50, 1, 10_000),
    apiBurstLimit: positiveInt(scope, 'apiBurstLimit', 100, 1, 5_000),
    destroyOnRemoval: bool(scope, 'destroyOnRemoval', false),
    apiGatewayCloudWatchRole: bool(scope, 'apiGatewayCloudWatchRole', true),
    apiTracing: bool(scope, 'apiTracing', false),
    logLevel: logLevel as OtpSettings['logLevel'],
    alarmTopicArn,
    alarmEmail,
    wafBlockAlarmThreshold: positiveInt(scope, 'wafBlockAlarmThreshold', 100, 1, 10_000_000),
    smsFailureAlarmThreshold: positiveInt(scope, 'smsFailureAlarmThreshold', 10, 1, 10_000_000),
    customDomain: readCustomDomain(scope),
    samLocal,
    sourceMaps: bool(scope, 'sourceMaps', false),
    smsMonthlySpendLimit:
      str(scope, 'smsMonthlySpendLimit') === undefined
        ? undefined
        : positiveInt(scope, 'smsMonthlySpendLimit', 1, 1, 1_000_000),
  };
};

/**
 * The custom domain from `domainName`, `certificateArn` and optionally `domainBasePath`,
 * `hostedZoneId` and `hostedZoneName` (the two together). Either both of the first two or neither.
 */
const readCustomDomain = (scope: Construct): CustomDomainSettings | undefined => {
  const domainName = str(scope, 'domainName');
  const certificateArn = str(scope, 'certificateArn');
  const basePath = str(scope, 'domainBasePath');
  const zoneId = str(scope, 'hostedZoneId');
  const zoneName = str(scope, 'hostedZoneName');
  if (domainName === undefined && certificateArn === undefined) {
    if (basePath ?? zoneId ?? zoneName)
      throw new Error('Context "domainBasePath", "hostedZoneId" and "hostedZoneName" need "domainName"');
    return undefined;
  }
  if (domainName === undefined || certificateArn === undefined)
    throw new Error('Context "domainName" and "certificateArn" go together: give both or neither');
  if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(domainName))
    throw new Error(`Context "domainName" must be a lower-case DNS name, got "${domainName}"`);
  if (!/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[\w-]+$/.test(certificateArn))
    throw new Error(`Context "certificateArn" must be an ACM certificate ARN, got "${certificateArn}"`);
  if (basePath !== undefined && !/^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(basePath))
    throw new Error(
      `Context "domainBasePath" must be a path without leading or trailing "/", got "${basePath}"`,
    );
  if ((zoneId === undefined) !== (zoneName === undefined))
    throw new Error('Context "hostedZoneId" and "hostedZoneName" go together: give both or neither');
  if (zoneName !== undefined && !(domainName === zoneName || domainName.endsWith(`.${zoneName}`)))
    throw new Error(`Context "domainName" (${domainName}) is not in hosted zone "${zoneName}"`);
  return {
    domainName,
    certificateArn,
    basePath,
    hostedZone: zoneId !== undefined && zoneName !== undefined ? { id: zoneId, name: zoneName } : undefined,
  };
};

/** What `-c stage=` may be: it becomes part of the stack name (`OtpService-prod`). */
const STAGE = /^[a-z][a-z0-9-]{0,19}$/;

/**
 * The stack id for a deployment stage: `OtpServiceStack` without one (the name existing
 * deployments have), `OtpService-<stage>` with `-c stage=<stage>`. Every stage is its own stack
 * with generated physical names and no exports, so stages live side by side in one account.
 */
export const stackIdFor = (stage: unknown): string => {
  if (stage === undefined || stage === null || stage === '') return 'OtpServiceStack';
  if (typeof stage !== 'string' || !STAGE.test(stage))
    throw new Error(
      `Context "stage" must be lower-case letters, digits and "-", starting with a letter, at most 20 characters; got "${String(stage)}"`,
    );
  return `OtpService-${stage}`;
};
