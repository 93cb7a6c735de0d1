import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient, TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { ChannelType, Senders } from '../channels/types';
import type { EventPublisher } from '../events/publisher';
import type { Phone } from '../phone';
import type { EmailTemplate, Localized } from '../templates';
import type { Tenant } from '../tenants';
import type { Scheduler } from './scheduler';

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
  /** Where fallback steps wait (shared/engine/scheduler.ts); without one no workflow runs. */
  scheduler?: Scheduler;
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
export interface MessageContent extends Localized {
  sms: string;
  /** A text body, an HTML body, or both (see `EmailTemplate`). */
  email: EmailTemplate;
  voice: string;
  whatsappTemplateName?: string;
  zaloTemplateId?: string;
}

/**
 * A dialect's precondition, checked inside the engine's own transactions (DESIGN §4: dialect
 * extras go inside them, not beside them): capillary-auth's session. `check` is a
 * ConditionCheck (with `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`) that joins every
 * transaction of a send and of a verify's answer; when it fails, nothing of that transaction is
 * written, a verify's reserved guess is given back (it is answered unanswered), and `refusal`,
 * given the item as it was, is thrown ahead of every other refusal of that transaction.
 */
export interface Guard {
  check: TransactWriteItem;
  /**
   * The `onSuccess` write that carries `check`'s condition at a right guess (a transaction may
   * name an item once: capillary-auth deletes the session it checks). Without one, the check
   * joins that transaction too.
   */
  carriedBy?: string;
  refusal: (old: Record<string, unknown> | undefined) => Error;
  /**
   * The guard's verdict without a transaction, for a refusal the engine decides before any
   * transaction holding the check committed (number policy, no code to guess, a cancelled
   * charge): an Error it returns is thrown instead, and no refusal event is told for it. Without
   * it, the engine's own refusal stands.
   */
  recheck?: () => Promise<Error | undefined>;
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
  /**
   * The locale the request asks for (Twilio `Locale`), where the dialect has such a field. It
   * wins over the tenant's choice by region; a locale without texts falls through to that choice.
   */
  locale?: string;
  /** An Android SMS Retriever app hash given with the request (Twilio `AppHash`); 11 characters. */
  appHash?: string;
  /**
   * A code the client chose (Twilio's `CustomCode`) instead of a generated one. A resend of the
   * live code with a different one is refused (`InvalidInputError('code')`): the live code stays.
   */
  code?: string;
  /**
   * The destination as the client named it (Twilio's `to`), stored sealed with a fresh code so a
   * status read by challenge (`readChallenge`) can say whom it was for; a resend keeps the first.
   */
  note?: string;
  /** A dialect's precondition, checked in the send's own transaction (see `Guard`). */
  guard?: Guard;
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
  /**
   * A dialect's own writes that belong to a successful verify (app-otp's verified marker,
   * capillary-auth's session close and refresh key), by name. They join the transaction that
   * consumes the code (DESIGN §4: dialect extras go inside the engine's transactions), so they
   * cost no round trip of their own and happen exactly when the code is consumed. Each must
   * succeed: a failed condition on one is a bug, not a refusal.
   */
  onSuccess?: Record<string, TransactWriteItem>;
  /** A dialect's precondition, checked in the transaction that answers the guess (see `Guard`). */
  guard?: Guard;
}

export interface Verified {
  /** Epoch milliseconds of the consume. */
  verifiedAt: number;
}
