import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { matchRoute } from '../../local/server';
import type { AppDeps } from '../../shared/app-deps';
import type { ChannelType } from '../../shared/channels/types';
import type { LambdaHandler } from '../../shared/http/types';
import { TenantDirectory } from '../../shared/tenant-directory';
import type { Tenant } from '../../shared/tenants';
import { engineHarness, testDirectoryOptions, testTenant } from './harness';

/** AppDeps against DynamoDB Local with one tenant and a Basic credential. */
export const appHarness = async (options: { tenant?: Partial<Tenant>; fail?: ChannelType[] } = {}) => {
  const h = await engineHarness({ fail: options.fail });
  const tenants = new TenantDirectory(h.ddb, h.tableName, testDirectoryOptions());
  const tenant = testTenant(options.tenant as never);
  await tenants.putTenant(tenant);
  const clientId = `client-${tenant.tenantId}`;
  const clientSecret = 'secret-0123456789abcdef0123456789abcdef';
  await tenants.putCredential('v2-basic', clientId, tenant.tenantId, clientSecret);
  const deps: AppDeps = { ...h.deps, tenants, signingKey: async () => Buffer.from('k'.repeat(48)) };
  const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
  return { ...h, deps, tenants, tenant, clientId, clientSecret, basic };
};

/**
 * What API Gateway REST puts in `resource` and `pathParameters` for a method and a raw path: the
 * matched route template and its decoded parameters (the local server's matcher), else the path
 * itself and no parameters (a path API Gateway would not route; the Lambda answers 404).
 */
export const gatewayRouting = (
  method: string,
  path: string,
): Pick<APIGatewayProxyEvent, 'resource' | 'pathParameters'> => {
  let match: ReturnType<typeof matchRoute>;
  try {
    match = matchRoute(method, path);
  } catch {
    return { resource: path, pathParameters: null };
  }
  if (match.kind !== 'route') return { resource: path, pathParameters: null };
  const any = Object.keys(match.pathParameters).length > 0;
  return { resource: match.route.path, pathParameters: any ? match.pathParameters : null };
};

/** An API Gateway REST (v1) proxy event for a route of the route table. */
export const apiEvent = (
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; query?: Record<string, string> } = {},
): APIGatewayProxyEvent => {
  return {
    httpMethod: method,
    path,
    ...gatewayRouting(method, path),
    body:
      options.body === undefined
        ? null
        : typeof options.body === 'string'
          ? options.body
          : JSON.stringify(options.body),
    headers: { 'content-type': 'application/json', ...options.headers },
    multiValueHeaders: {},
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    isBase64Encoded: false,
    requestContext: { requestId: 'test', identity: { sourceIp: '127.0.0.1' } } as never,
  };
};

const context = { awsRequestId: 'test', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

/** Invokes a handler and parses the JSON body. */
export const invoke = async (
  handler: LambdaHandler,
  event: APIGatewayProxyEvent,
  lambdaContext: Context = context,
): Promise<{ status: number; body: Record<string, unknown>; headers: APIGatewayProxyResult['headers'] }> => {
  const result = await handler(event, lambdaContext);
  return { status: result.statusCode, body: JSON.parse(result.body), headers: result.headers };
};
