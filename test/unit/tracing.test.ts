import { Tracer } from '@aws-lambda-powertools/tracer';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Segment } from 'aws-xray-sdk-core';
import { tracedSender } from '../../shared/channels/traced';
import type { OutboundMessage } from '../../shared/channels/types';

const PHONE = '+919812345670';
const CODE = '482913';

/** A message as the engine hands it to a sender: recipient, text and code in clear. */
const message: OutboundMessage = {
  channel: 'SMS',
  tenantId: 't-acme',
  to: PHONE,
  text: `Your code is ${CODE}`,
  code: CODE,
  settings: {},
};

/** A real Powertools Tracer as in Lambda (it traces only where AWS_EXECUTION_ENV is set). */
let tracer: Tracer;
const previous = process.env.AWS_EXECUTION_ENV;
beforeAll(() => {
  process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs24.x';
  tracer = new Tracer({ serviceName: 'otp-service', captureHTTPsRequests: false });
});
afterAll(() => {
  if (previous === undefined) delete process.env.AWS_EXECUTION_ENV;
  else process.env.AWS_EXECUTION_ENV = previous;
});

/** Runs `work` with a fresh invocation segment as the current one and returns that segment as X-Ray would get it. */
const traceOf = async (work: () => Promise<unknown>): Promise<Record<string, unknown>> => {
  const segment = new Segment('otp-test');
  await new Promise<void>((resolve) => {
    tracer.provider.getNamespace().run(() => {
      tracer.setSegment(segment);
      void work()
        .catch(() => {})
        .finally(resolve);
    });
  });
  return JSON.parse(JSON.stringify(segment)) as Record<string, unknown>;
};

describe('tracing', () => {
  describe('tracedSender', () => {
    it('records one subsegment per send, annotated with channel and tenant only', async () => {
      const sent: string[] = [];
      const send = tracedSender(
        'SMS',
        async (m) => void sent.push(m.to),
        () => tracer,
      );
      const trace = await traceOf(() => send(message));
      expect(sent).toEqual([PHONE]);
      expect(trace.subsegments).toEqual([
        expect.objectContaining({ name: 'channel SMS', annotations: { channel: 'SMS', tenant: 't-acme' } }),
      ]);
    });

    it('marks a failed send with the error flag and class name, never the message that quotes the phone', async () => {
      const send = tracedSender(
        'SMS',
        async () => {
          const error = new Error(`Invalid parameter: PhoneNumber Reason: ${PHONE} is not valid (${CODE})`);
          error.name = 'InvalidParameterException';
          throw error;
        },
        () => tracer,
      );
      const trace = await traceOf(() => send(message));
      expect(trace.subsegments).toEqual([
        expect.objectContaining({
          name: 'channel SMS',
          error: true,
          annotations: { channel: 'SMS', tenant: 't-acme', error: 'InvalidParameterException' },
        }),
      ]);
      const text = JSON.stringify(trace);
      for (const needle of [PHONE, PHONE.slice(1), CODE, 'Your code']) expect(text).not.toContain(needle);
    });

    it('sends untraced (and is not held up) when the tracer has not loaded', async () => {
      const sent: string[] = [];
      const send = tracedSender(
        'EMAIL',
        async (m) => void sent.push(m.to),
        () => undefined,
      );
      const trace = await traceOf(() => send({ ...message, channel: 'EMAIL', to: 'a@example.com' }));
      expect(sent).toEqual(['a@example.com']);
      expect(trace.subsegments).toBeUndefined();
    });
  });
});
