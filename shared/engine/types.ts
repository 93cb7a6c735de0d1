import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ChannelType, Senders } from '../channels/types';
import type { EventPublisher } from '../events/publisher';
import type { Phone } from '../phone';
import type { Tenant } from '../tenants';

/**
 * What the engine needs from the outside world. Production passes AWS clients, tests pass
 * DynamoDB Local clients, mocked channel clients and a fixed clock: no module mocking.
 */
export interface EngineDeps {
  ddb: DynamoDBClient;
  tableName: string;
  /** The HMAC pepper, fetched once per container (Secrets Manager in AWS). */
  pepper: () => Promise<Buffer>;
  senders: Senders;
  /** Epoch milliseconds. */
  now: () => number;
  logger: Logger;
  /** Where lifecycle events go (shared/events/publisher.ts); none are published when unset. */
  events?: EventPublisher;
}

/** Channels that go to a phone number: the number policy applies to each of them. */
export type PhoneChannel = Exclude<ChannelType, 'EMAIL'>;

/**
 * One message of a request and where it goes. A phone channel carries the number parsed once at
 * the edge (`parsePhone`); nothing downstream parses it again.
 */
export type Delivery = { channel: 'EMAIL'; to: string } | { channel: PhoneChannel; to: string; phone: Phone };

/**
 * Who is asking. Anonymous entry points (seed 002: "Authentication: No") get a share of each
 * recipient's limits and pumping counters of their own (`policy.anonymous`, SECURITY.md G5).
 */
export type Caller = 'authenticated' | 'anonymous';

/**
 * Message texts chosen by the dialect (its template hierarchy). Each text holds the
 * `{{ validation_code }}` placeholder; only the engine, which knows the code, fills it in.
 */
export interface MessageContent {
  sms: string;
  email: { subject: string; body: string };
  voice: string;
  whatsappTemplateName?: string;
  zaloTemplateId?: string;
}

/** Values a later verify must present (authCode, transaction id, session id). */
export type Binding = Record<string, string>;

export interface IssueRequest {
  tenant: Tenant;
  /** What the code is for, namespaced by dialect (`v2:REGISTRATION`, `lr:forgotpassword`). */
  purpose: string;
  /** The normalised identity the limits count against: E.164 phone, lower-case e-mail, user id. */
  subject: string;
  deliveries: Delivery[];
  content: MessageContent;
  /** Stored with a fresh code; a resend keeps the first binding and returns it. */
  binding?: Binding;
  /** Defaults to `authenticated`. */
  caller?: Caller;
}

export interface DeliveryResult {
  channel: ChannelType;
  to: string;
  ok: boolean;
  /** Why the channel failed: `not-configured` or `provider-error`. */
  error?: 'not-configured' | 'provider-error';
}

export interface Issued {
  /** Opaque id of this code (never the code). Stable across resends. */
  challengeId: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** True when a live code was sent again instead of a new one. */
  resent: boolean;
  sendCount: number;
  binding: Binding;
  results: DeliveryResult[];
}

export interface VerifyRequest {
  tenant: Tenant;
  purpose: string;
  subject: string;
  code: string;
  /** Each entry must equal the stored binding (e.g. authCode); a mismatch counts as a wrong code. */
  binding?: Binding;
  /** Defaults to `authenticated`. */
  caller?: Caller;
}

export interface Verified {
  /** Epoch milliseconds of the consume. */
  verifiedAt: number;
}
