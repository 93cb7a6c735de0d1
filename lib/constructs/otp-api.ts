import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { GATEWAY_ANSWER_HEADERS, GATEWAY_ANSWERS, type GatewayAnswer } from '../../shared/gateway-answers';
import { catchAllResource, DIALECT_PREFIXES, type DialectId, type RouteDef } from '../../shared/routes';
import type { OtpSettings } from '../settings';

export interface OtpApiProps {
  readonly routes: readonly RouteDef[];
  readonly functions: Readonly<Record<DialectId, lambda.IFunction>>;
  readonly settings: OtpSettings;
}

/** The stage every route is served under: `https://<id>.execute-api.<region>.amazonaws.com/prod/...`. */
export const STAGE_NAME = 'prod';

/** API Gateway's default gateway response body; `messageString` is the message, quoted. */
export const DEFAULT_GATEWAY_TEMPLATE = '{"message":$context.error.messageString}';

/** `{smsotptype}` → `smsotptype`, for every path parameter of a route. */
export const pathParameters = (routePath: string): string[] =>
  [...routePath.matchAll(/\{([^}/]+)\}/g)].map((m) => m[1]).filter((p): p is string => p !== undefined);

/**
 * The REST API, built from the route table: one resource per path segment, one method per route,
 * each proxied to its dialect's function. Vendor clients only change their base URL, so paths are
 * the vendors' own and nothing is rewritten here.
 */
export class OtpApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly accessLogs: logs.LogGroup;
  readonly serverErrorAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: OtpApiProps) {
    super(scope, id);
    const { settings } = props;

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: settings.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });

    this.api = new apigateway.RestApi(this, 'Api', {
      description: 'One-time-password service speaking five vendor dialects',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // Stage logging needs the account-wide API Gateway CloudWatch role; accounts that already
      // have one set apiGatewayCloudWatchRole=false so this stack does not replace it.
      cloudWatchRole: settings.apiGatewayCloudWatchRole,
      deployOptions: {
        stageName: STAGE_NAME,
        throttlingRateLimit: settings.apiRateLimit,
        throttlingBurstLimit: settings.apiBurstLimit,
        // Off by default: the stage's X-Ray segment records the URL with its query string, where
        // LoginRadius sends apikey and apisecret (see OtpSettings.apiTracing). The functions keep
        // Lambda active tracing, whose segments carry no part of the request.
        tracingEnabled: settings.apiTracing,
        metricsEnabled: true,
        // Execution logs at ERROR only and never the data trace: request bodies carry OTP codes.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        // No query string, header (but the user agent), body or authorizer field: credentials
        // travel in all of them. resourcePath is the route template, not the URL.
        accessLogFormat: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: apigateway.AccessLogField.contextRequestId(),
            requestTime: apigateway.AccessLogField.contextRequestTime(),
            ip: apigateway.AccessLogField.contextIdentitySourceIp(),
            userAgent: apigateway.AccessLogField.contextIdentityUserAgent(),
            httpMethod: apigateway.AccessLogField.contextHttpMethod(),
            resourcePath: apigateway.AccessLogField.contextResourcePath(),
            status: apigateway.AccessLogField.contextStatus(),
            responseLength: apigateway.AccessLogField.contextResponseLength(),
            responseLatency: apigateway.AccessLogField.contextResponseLatency(),
            integrationLatency: apigateway.AccessLogField.contextIntegrationLatency(),
            integrationStatus: apigateway.AccessLogField.contextIntegrationStatus(),
            wafResponseCode: apigateway.AccessLogField.contextWafResponseCode(),
            errorMessage: apigateway.AccessLogField.contextErrorMessage(),
          }),
        ),
      },
    });

    // Bodies are validated by each dialect's own schema so that errors keep the vendor's shape
    // (a gateway 400 would break clients that parse, say, LoginRadius's ErrorCode); no models are
    // attached, so the gateway checks only the declared parameters.
    const validator = this.api.addRequestValidator('Validator', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    const integrations = new Map<DialectId, apigateway.LambdaIntegration>();
    const integrationOf = (dialect: DialectId): apigateway.LambdaIntegration => {
      let integration = integrations.get(dialect);
      if (!integration) {
        integration = new apigateway.LambdaIntegration(props.functions[dialect], { allowTestInvoke: false });
        integrations.set(dialect, integration);
      }
      return integration;
    };
    for (const route of props.routes) {
      const integration = integrationOf(route.dialect);
      const resource = this.api.root.resourceForPath(route.path);
      resource.addMethod(route.method, integration, {
        operationName: route.operationId,
        requestValidator: validator,
        requestParameters: Object.fromEntries(
          pathParameters(route.path).map((p) => [`method.request.path.${p}`, true]),
        ),
      });
    }

    // Answers in the dialect's shape where API Gateway would answer its own 403 "Missing
    // Authentication Token": any other method of a route (405, and the CORS preflight of the
    // browser routes) and any unknown path under a dialect's prefix (404) reach the dialect's
    // function. Explicit methods and resources win over ANY and {proxy+}.
    for (const path of new Set(props.routes.map((r) => r.path))) {
      const route = props.routes.find((r) => r.path === path) as RouteDef;
      this.api.root.resourceForPath(path).addMethod('ANY', integrationOf(route.dialect), {
        operationName: `${route.operationId}OtherMethods`,
      });
    }
    for (const [prefix, dialect] of DIALECT_PREFIXES) {
      if (!props.routes.some((r) => r.dialect === dialect)) continue;
      this.api.root.resourceForPath(catchAllResource(prefix)).addMethod('ANY', integrationOf(dialect), {
        operationName: `${dialect}UnknownRoute`,
      });
    }
    // What the gateway still answers itself (shared/gateway-answers.ts): a path outside every
    // prefix as 404 instead of 403 "Missing Authentication Token", and the security headers on
    // every gateway-generated 4xx and 5xx (the bodies keep API Gateway's default message).
    const headerParameters = Object.fromEntries(
      Object.entries(GATEWAY_ANSWER_HEADERS).map(([name, value]) => [name, `'${value}'`]),
    );
    const gatewayResponse = (id: string, type: apigateway.ResponseType, answer?: GatewayAnswer) =>
      this.api.addGatewayResponse(id, {
        type,
        responseHeaders: headerParameters,
        ...(answer && { statusCode: String(answer.status) }),
        // API Gateway's own default body, spelt out: a response without a template has no body.
        templates: {
          'application/json': answer ? JSON.stringify(answer.body) : DEFAULT_GATEWAY_TEMPLATE,
        },
      });
    gatewayResponse(
      'UnknownRoute',
      apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
      GATEWAY_ANSWERS.unknownRoute,
    );
    gatewayResponse('Default4xx', apigateway.ResponseType.DEFAULT_4XX);
    gatewayResponse('Default5xx', apigateway.ResponseType.DEFAULT_5XX);

    // Callers authenticate inside each dialect (API key + secret, JWT, HTTP Basic, signed body)
    // because the vendors' protocols put credentials where API Gateway authorizers cannot read
    // them, and their error shapes must be the vendors'.
    const authReason =
      'Each dialect authenticates its callers in the function with the vendor protocol it reproduces (apikey/apisecret, user JWT, HTTP Basic or bearer, FORM/APIKey proxy details); a gateway authorizer would break the vendor request and error formats.';
    Validations.of(this.api).acknowledge(
      { id: 'AwsSolutions-APIG4', reason: authReason },
      { id: 'AwsSolutions-COG4', reason: authReason },
    );
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-level role API Gateway uses to write stage logs; AWS maintains this managed policy for exactly that purpose and it grants only CloudWatch Logs writes.',
      });
    }

    this.serverErrorAlarm = new cloudwatch.Alarm(this, 'ServerErrorsAlarm', {
      alarmDescription: 'API answered 5xx: a function failed, timed out or was throttled',
      metric: this.api.deploymentStage.metricServerError({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}
