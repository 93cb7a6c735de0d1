import { CfnOutput, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { DIALECTS, type DialectId, ROUTES } from '../shared/routes';
import { ApiDomain } from './constructs/api-domain';
import { ApiFirewall } from './constructs/api-firewall';
import { DialectFunction } from './constructs/dialect-function';
import { FallbackWorkflows } from './constructs/fallback-workflows';
import { OtpApi } from './constructs/otp-api';
import { OtpEvents } from './constructs/otp-events';
import { OtpOperations } from './constructs/otp-operations';
import { OtpTable } from './constructs/otp-table';
import { SmsSpendLimit } from './constructs/sms-spend-limit';
import { addTenantWebhooks } from './constructs/tenant-webhook';
import { refuseDeploy } from './sam-local';
import { readSettings } from './settings';

export interface OtpServiceStackProps extends StackProps {
  /**
   * Prebuilt code per dialect instead of bundling `functions/<dialect>.ts` with esbuild. Tests use
   * this to synthesise in milliseconds; a real deployment leaves it unset.
   */
  readonly codeOverrides?: Partial<Record<DialectId | 'receipts' | 'fallback', lambda.Code>>;
}

/** Ids of the five dialects, in the route table's order. */
export const DIALECT_IDS = Object.keys(DIALECTS) as DialectId[];

/**
 * The dialects that sign access tokens of their own, and so get the signing key: only the
 * Capillary auth engine (seed 002). Every other function can neither read the key nor learn its ARN.
 */
export const TOKEN_SIGNING_DIALECTS: readonly DialectId[] = ['capillary-auth'];

/** A record with one entry per dialect. */
const byDialect = <T>(make: (dialect: DialectId) => T): Record<DialectId, T> =>
  Object.fromEntries(DIALECT_IDS.map((dialect) => [dialect, make(dialect)])) as Record<DialectId, T>;

/**
 * The whole OTP service: one table, three secrets, one function per dialect, a REST API built from
 * the route table behind WAF (optionally under a custom domain), a dashboard and alarms. Environment-agnostic and free of lookups so `cdk synth`
 * works offline; no physical names, so two copies can live in one account.
 */
export class OtpServiceStack extends Stack {
  readonly functions: Record<DialectId, DialectFunction>;

  constructor(scope: Construct, id: string, props: OtpServiceStackProps = {}) {
    super(scope, id, props);
    const settings = readSettings(this);
    if (settings.samLocal) refuseDeploy(this);
    const removalPolicy = settings.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    const { table } = new OtpTable(this, 'Store', { destroyOnRemoval: settings.destroyOnRemoval });

    // Raw strings, not JSON: the functions read the secret value as the key bytes.
    const secretString = { passwordLength: 64, excludePunctuation: true, includeSpace: false };
    const pepper = new secretsmanager.Secret(this, 'CodePepper', {
      description: 'HMAC pepper for OTP code hashes and destination keys',
      generateSecretString: secretString,
      removalPolicy,
    });
    const signingKey = new secretsmanager.Secret(this, 'TokenSigningKey', {
      description: 'HMAC key that signs the access tokens the service issues',
      generateSecretString: secretString,
      removalPolicy,
    });
    // Its own key, not the pepper: rotating the pepper must not make tenant secrets unreadable.
    const tenantSealingKey = new secretsmanager.Secret(this, 'TenantSealingKey', {
      description: 'Key that seals tenant secrets (JWT, payload-signing and provider secrets) in the table',
      generateSecretString: secretString,
      removalPolicy,
    });
    Validations.of(pepper).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the pepper would orphan every stored code hash and HMAC-keyed destination (live codes, daily counters, contacts); it is rotated by a planned re-keying, not on a schedule.',
    });
    Validations.of(signingKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the token signing key on a schedule would invalidate every issued access token at once; the key is rotated deliberately with a grace period, not by Secrets Manager rotation.',
    });
    Validations.of(tenantSealingKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Tenant secrets in the table are sealed under this key: a scheduled rotation would leave every sealed secret unreadable until each tenant is re-sealed, so it is rotated by a planned re-seal (README, Security), not by Secrets Manager rotation.',
    });

    this.functions = byDialect(
      (dialect) =>
        new DialectFunction(this, `Fn-${dialect}`, {
          dialect,
          table,
          pepper,
          signingKey: TOKEN_SIGNING_DIALECTS.includes(dialect) ? signingKey : undefined,
          tenantSealingKey,
          settings,
          code: props.codeOverrides?.[dialect],
        }),
    );

    const lifecycle = new OtpEvents(this, 'Events', {
      table,
      destroyOnRemoval: settings.destroyOnRemoval,
      sourceMaps: settings.sourceMaps,
      receiptsCode: props.codeOverrides?.receipts,
    });
    for (const dialect of DIALECT_IDS) {
      lifecycle.grantPublish(this.functions[dialect].fn, this.functions[dialect].role);
      if (settings.smsProvider === 'end-user-messaging')
        lifecycle.grantTextMessages(this.functions[dialect].fn, this.functions[dialect].role);
    }

    // Tenant webhooks: the shared queue and role always, one rule per `webhooks` context entry.
    const webhooks = addTenantWebhooks(this, lifecycle.bus);

    // Fallback workflows (README "Fallback workflows"): every dialect may start one.
    const fallback = new FallbackWorkflows(this, 'Fallback', {
      table,
      pepper,
      tenantSealingKey,
      settings,
      code: props.codeOverrides?.fallback,
    });
    lifecycle.grantPublish(fallback.fn, fallback.role);
    for (const dialect of DIALECT_IDS)
      fallback.grantSchedule(this.functions[dialect].fn, this.functions[dialect].role);

    const { api, serverErrorAlarm } = new OtpApi(this, 'Http', {
      routes: ROUTES,
      functions: byDialect((dialect) => this.functions[dialect].fn),
      settings,
    });

    const firewall = new ApiFirewall(this, 'Firewall', {
      stage: api.deploymentStage,
      rateLimitPer5Min: settings.wafRateLimitPer5Min,
      anonymousRateLimitPer5Min: settings.anonymousRateLimitPer5Min,
    });

    // Metrics namespace, dashboard, alarms and their action (README, "Operating it").
    new OtpOperations(this, 'Operations', {
      functions: {
        ...byDialect((d) => this.functions[d].fn),
        receipts: lifecycle.receiptFunction,
        fallback: fallback.fn,
      },
      api,
      table,
      webAcl: firewall.webAcl,
      alarms: [
        serverErrorAlarm,
        webhooks.deadLetterAlarm,
        ...fallback.alarms,
        ...DIALECT_IDS.flatMap((d) => this.functions[d].alarms),
      ],
      wafBlockAlarmThreshold: settings.wafBlockAlarmThreshold,
      smsFailureAlarmThreshold: settings.smsFailureAlarmThreshold,
      alarmTopicArn: settings.alarmTopicArn,
      alarmEmail: settings.alarmEmail,
    });
    const domain =
      settings.customDomain && new ApiDomain(this, 'Domain', { api, domain: settings.customDomain });

    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of every dialect (append the vendor path, e.g. v2/otp/generate)',
      value: api.url,
    });
    if (domain) {
      new CfnOutput(this, 'CustomDomainUrl', {
        description: 'Base URL of every dialect under the custom domain',
        value: domain.url,
      });
    }
    new CfnOutput(this, 'EventBusName', {
      description: 'Lifecycle events (source otp-service; schemas/events/*.json): subscribe with rules',
      value: lifecycle.bus.eventBusName,
    });
    new CfnOutput(this, 'TableName', {
      description: 'The DynamoDB table (tenants, codes)',
      value: table.tableName,
    });
    new CfnOutput(this, 'SealingKeySecretArn', {
      description:
        'The tenant sealing key: the admin CLI reads it (SEALING_KEY_SECRET_ARN) to write and show tenants',
      value: tenantSealingKey.secretArn,
    });
    // SNS SMS attributes are account-wide: the stack sets the spend limit only when the operator
    // names one (`-c smsMonthlySpendLimit=50`), so a deploy never lowers a limit raised elsewhere.
    if (settings.smsMonthlySpendLimit !== undefined) {
      new SmsSpendLimit(this, 'SmsMonthlySpendLimit', {
        monthlySpendLimitUsd: settings.smsMonthlySpendLimit,
      });
    }
    new CfnOutput(this, 'SmsSpendLimit', {
      description: 'Operator action',
      value:
        settings.smsMonthlySpendLimit !== undefined
          ? `This stack sets the account's SNS SMS MonthlySpendLimit to USD ${settings.smsMonthlySpendLimit}.`
          : 'SMS spend is capped per account by the SNS MonthlySpendLimit (USD 1 for new accounts). Deploy with -c smsMonthlySpendLimit=<USD> to set it from this stack, or set it in the SNS console.',
    });
  }
}
