import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { EventPublisher } from '../../shared/events/publisher';
import { EVENT_TYPES, type OtpEventDetail, type OtpEventType } from '../../shared/events/schema';

// ajv-formats is CommonJS; under Jest's ESM loader its default export arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv2020) => void;

/** The committed schema files (what subscribers read), compiled once. */
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
export const committedSchema = (type: OtpEventType): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../schemas/events/${type}.json`, import.meta.url), 'utf8'));
const validators = Object.fromEntries(EVENT_TYPES.map((t) => [t, ajv.compile(committedSchema(t))]));

/** The ajv errors of `event` against the committed schema of its type (empty when valid). */
export const schemaErrors = (event: unknown): string[] => {
  const type = (event as { type?: string }).type as OtpEventType;
  const validate = validators[type];
  if (!validate) return [`no schema for type ${String(type)}`];
  return validate(event) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
};

/** A publisher that records every event it is given. */
export const recordingEvents = () => {
  const events: OtpEventDetail[] = [];
  const publisher: EventPublisher = {
    publish: async (batch) => {
      events.push(...batch);
    },
  };
  const ofType = <T extends OtpEventType>(type: T) =>
    events.filter((e): e is Extract<OtpEventDetail, { type: T }> => e.type === type);
  return { publisher, events, ofType, types: () => events.map((e) => e.type) };
};

/**
 * What an event must never hold: any of the codes sent, any destination in clear. Returns the
 * offending needles found in the serialised event (empty when clean).
 */
export const leaksIn = (event: unknown, secrets: { codes: string[]; destinations: string[] }): string[] => {
  const text = JSON.stringify(event);
  const found = [...secrets.codes, ...secrets.destinations].filter((s) => s.length > 0 && text.includes(s));
  // Any run of 7+ digits outside the random ids (test tenant ids too) and times is a phone in clear.
  const {
    eventId: _e,
    verificationId: _v,
    tenantId: _t,
    occurredAt: _o,
    expiresAt: _x,
    ...rest
  } = event as Record<string, unknown>;
  return [...found, ...(JSON.stringify(rest).match(/\d{7,}/g) ?? [])];
};
