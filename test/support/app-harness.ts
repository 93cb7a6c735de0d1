import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { AppDeps } from '../../shared/app-deps';
import type { ChannelType } from '../../shared/channels/types';
import type { LambdaHandler } from '../../shared/http/types';
import { ROUTES } from '../../shared/routes';
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

/** An API Gateway REST (v1) proxy event for a route of the route table. */
export const apiEvent = (
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; query?: Record<string, string> } = {},
): APIGatewayProxyEvent => {
  const route = ROUTES.find((r) => {
    const pattern = new RegExp(`^${r.path.replace(/\{[^/]+\}/g, '[^/]+')}$`);
    return r.method === method && pattern.test(path);
  });
  return {
    httpMethod: method,
    path,
    resource: route?.path ?? path,
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
    pathParameters: null,
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
): Promise<{ status: number; body: Record<string, unknown>; headers: APIGatewayProxyResult['headers'] }> => {
  const result = await handler(event, context);
  return { status: result.statusCode, body: JSON.parse(result.body), headers: result.headers };
};
