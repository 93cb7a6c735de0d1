import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createEventBridgePublisher } from '../../../shared/events/eventbridge';
import { EVENT_SOURCE, EVENT_TYPES, jsonSchemaOf, type OtpEventDetail } from '../../../shared/events/schema';
import { committedSchema, schemaErrors } from '../../support/events';
import { captureLogger } from '../../support/harness';

const sent = (n: number): OtpEventDetail => ({
  type: 'otp.sent',
  version: '1',
  eventId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  occurredAt: '2026-12-05T03:00:00.000Z',
  tenantId: 'acme',
  dialect: 'capillary-v2',
  purpose: 'v2:REGISTRATION',
  verificationId: `v-${n}`,
  channel: 'SMS',
  recipient: '+91*******670',
  country: 'IN',
  resent: false,
  sendCount: 1,
  attempts: 0,
  expiresAt: '2026-12-05T03:10:00.000Z',
});

describe('events/schema', () => {
  describe('schemas/events/*.json', () => {
    it.each(EVENT_TYPES)('%s is committed as npm run schemas writes it', (type) => {
      expect(committedSchema(type)).toEqual(jsonSchemaOf(type));
    });
  });

  describe('the committed schemas', () => {
    it('accept a well-formed event', () => {
      expect(schemaErrors(sent(1))).toEqual([]);
    });

    it.each([
      ['a code', { ...sent(1), code: '123456' }],
      ['a phone in clear', { ...sent(1), recipient: '+919812345670' }],
      ['an e-mail in clear', { ...sent(1), channel: 'EMAIL', recipient: 'tomsawyer@gmail.com' }],
      ['another version', { ...sent(1), version: '2' }],
      ['no verification id', { ...sent(1), verificationId: undefined }],
    ])('refuse an event with %s', (_, event) => {
      expect(schemaErrors(JSON.parse(JSON.stringify(event)))).not.toEqual([]);
    });
  });
});

describe('events/eventbridge', () => {
  describe('createEventBridgePublisher', () => {
    const setup = () => {
      const client = new EventBridgeClient({ region: 'us-east-1' });
      const mock = mockClient(client);
      const { logger, lines } = captureLogger();
      const publisher = createEventBridgePublisher({
        busName: 'otp-bus',
        logger,
        client: async () => client,
      });
      return { mock, publisher, lines };
    };

    it('puts each event with source, detail-type and JSON detail, at most 10 per call', async () => {
      const { mock, publisher } = setup();
      mock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
      await publisher.publish(Array.from({ length: 11 }, (_, i) => sent(i)));
      expect(mock).toHaveReceivedCommandTimes(PutEventsCommand, 2);
      const entries = mock.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
      expect(entries).toHaveLength(11);
      expect(entries[0]).toMatchObject({
        EventBusName: 'otp-bus',
        Source: EVENT_SOURCE,
        DetailType: 'otp.sent',
      });
      expect(JSON.parse(entries[0]?.Detail ?? '{}')).toEqual(sent(0));
    });

    it('logs refused entries by type and id only, and never throws', async () => {
      const { mock, publisher, lines } = setup();
      mock
        .on(PutEventsCommand)
        .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] })
        .rejectsOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
      await publisher.publish([sent(1)]);
      await expect(publisher.publish([sent(2)])).resolves.toBeUndefined();
      const log = lines.join('\n');
      expect(log).toContain('lifecycle events refused by EventBridge');
      expect(log).toContain('ThrottlingException');
      expect(log).not.toContain('+91*******670');
    });
  });
});
