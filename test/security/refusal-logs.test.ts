import { describe, expect, it } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { DEMO } from '../../local/demo-tenant';
import { rawEvent, runRaw, securityHarness } from '../support/security';

/**
 * Refusals are client behaviour, not faults (issue 9, point 7): each gets one structured line at
 * INFO with a reason code, a failed authentication one at WARN with the masked credential id and
 * the source IP (so it can be alarmed on), and ERROR stays for real faults.
 */
const lines = (logLines: string[]) => logLines.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('security › refusal logs', () => {
  it('logs dialect refusals (unknown brand, missing API key) at INFO with a reason code, never as an unhandled error', async () => {
    const h = await securityHarness();
    const brand = await runRaw(
      h.handlers['capillary-auth'],
      rawEvent({
        method: 'POST',
        path: '/auth/v1/token/generate',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          brand: 'NOSUCHBRAND',
          identifierType: 'MOBILE',
          identifierValue: '9940000000',
          deviceId: 'd',
        }),
      }),
    );
    expect(brand.result?.statusCode).toBe(400);
    const lr = await runRaw(
      h.handlers.loginradius,
      rawEvent({
        method: 'POST',
        path: '/identity/v2/manage/account/smsotp/forgotpassword',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Phone: '+919876543210' }),
      }),
    );
    expect(lr.result?.statusCode).toBe(401);
    const logged = lines(h.logLines);
    expect(logged.filter((l) => l.level === 'ERROR')).toEqual([]);
    expect(logged.filter((l) => l.message === 'request refused')).toEqual([
      expect.objectContaining({
        level: 'INFO',
        dialect: 'capillary-auth',
        status: 400,
        reason: 'capillary-auth-1519',
      }),
      expect.objectContaining({
        level: 'INFO',
        dialect: 'loginradius',
        status: 401,
        reason: 'loginradius-922',
      }),
    ]);
  });

  it('logs a failed authentication at WARN with the masked credential id and the source IP, and no secret', async () => {
    const h = await securityHarness();
    const basic = `Basic ${Buffer.from(`${DEMO.basic.clientId}:wrong-secret-value`).toString('base64')}`;
    const res = await runRaw(
      h.handlers['capillary-v2'],
      rawEvent({
        method: 'POST',
        path: '/v2/otp/generate',
        headers: { 'content-type': 'application/json', authorization: basic },
        body: JSON.stringify({ entityType: 'MOBILE', entityValue: '919986000581', action: 'POINTS' }),
      }),
    );
    expect(res.result?.statusCode).toBe(401);
    const warn = lines(h.logLines).filter((l) => l.message === 'authentication failed');
    expect(warn).toEqual([
      expect.objectContaining({
        level: 'WARN',
        dialect: 'capillary-v2',
        status: 401,
        sourceIp: '127.0.0.1',
        credential: `${DEMO.basic.clientId.slice(0, 4)}…(${DEMO.basic.clientId.length})`,
      }),
    ]);
    const all = h.logLines.join('\n');
    expect(all).not.toContain('wrong-secret-value');
    expect(all).not.toContain(DEMO.basic.clientId);
  });

  it('carries both API Gateway’s request id (correlation_id) and the Lambda request id (function_request_id) on a log line', async () => {
    const h = await securityHarness();
    // In AWS the two ids differ: the access log has API Gateway's, Lambda's own lines the other.
    const event = rawEvent({
      method: 'POST',
      path: '/identity/v2/manage/account/smsotp/forgotpassword',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Phone: '+919876543210' }),
    });
    event.requestContext = { ...event.requestContext, requestId: 'apigw-req-7f3a' };
    const context = {
      awsRequestId: 'lambda-req-91c2',
      functionName: 'otp-loginradius',
      getRemainingTimeInMillis: () => 10_000,
    } as unknown as Context;
    const result = await h.handlers.loginradius(event, context);
    expect(result.statusCode).toBe(401);
    const refused = lines(h.logLines).filter((l) => l.message === 'request refused');
    expect(refused).toEqual([
      expect.objectContaining({ correlation_id: 'apigw-req-7f3a', function_request_id: 'lambda-req-91c2' }),
    ]);
  });
});
