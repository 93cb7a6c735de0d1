import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { BoundedCache } from '../bounded-cache';
import { CONTROL_CHARACTERS_MESSAGE, hasControlCharacters } from '../control-characters';
import { guard } from './dynamo';
import { tenantPk } from './keys';

/**
 * Twilio Verify Services of a tenant, in the one table:
 *
 *  pk           sk                        item
 *  T#<tenant>   TWILIO#SERVICE#<VA sid>   a Service: the policy its verifications use
 *
 * A Service narrows the tenant's policy for its verifications (code length, the name in the
 * message, whether a client may choose the code); every engine limit of the tenant still applies.
 */
export const SERVICE_SK_PREFIX = 'TWILIO#SERVICE#';

/** The text a message carries may not hold a placeholder of its own, nor break a line. */
const friendlyName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .refine((v) => !hasControlCharacters(v), { message: CONTROL_CHARACTERS_MESSAGE })
  .refine((v) => !/[{}]/.test(v), { message: 'braces are not allowed' });

/** A stored Service. Field names are this project's; the dialect renders Twilio's. */
export const twilioServiceSchema = z.object({
  sid: z.string().regex(/^VA[0-9a-f]{32}$/),
  tenantId: z.string(),
  friendlyName,
  /** Digits of a generated code (Twilio's `code_length`, 4–10); the tenant's alphabet applies. */
  codeLength: z.number().int().min(4).max(10).default(6),
  /** Whether `CustomCode` is accepted on a verification (off by default, as at Twilio). */
  customCodeEnabled: z.boolean().default(false),
  /** Adds "Don't share this code with anyone…" to the SMS (Twilio's `do_not_share_warning_enabled`). */
  doNotShareWarningEnabled: z.boolean().default(false),
  /**
   * This project's addition: the WhatsApp template (AWS End User Messaging Social) a `whatsapp`
   * verification sends; without it the channel is refused with 60200.
   */
  whatsappTemplateName: z.string().min(1).max(512).optional(),
  /** Epoch milliseconds. */
  dateCreated: z.number(),
  dateUpdated: z.number(),
});
export type TwilioService = z.infer<typeof twilioServiceSchema>;

/** The settable part of a Service, with its defaults (admin CLI and `POST /v2/Services`). */
export const serviceSettingsSchema = twilioServiceSchema.omit({
  sid: true,
  tenantId: true,
  dateCreated: true,
  dateUpdated: true,
});
export type ServiceSettings = z.input<typeof serviceSettingsSchema>;

/** Services a warm container keeps (and unknown sids it remembers) at most. */
export const SERVICE_CACHE_MAX_ENTRIES = 10_000;
/** An unknown sid is remembered this long at most, so a new Service works within it. */
const UNKNOWN_SERVICE_CACHE_SECONDS = 5;

/**
 * Reads and writes Services, cached in a warm container like tenants (`cacheSeconds`), so a
 * warm verification costs no extra read; unknown sids are cached briefly, so a flood of made-up
 * sids cannot multiply reads, and the cache is bounded.
 */
export class TwilioServices {
  private readonly cache: BoundedCache<TwilioService>;

  constructor(
    private readonly ddb: DynamoDBClient,
    private readonly tableName: string,
    private readonly cacheSeconds = 60,
  ) {
    this.cache = new BoundedCache({ maxEntries: SERVICE_CACHE_MAX_ENTRIES });
  }

  /** The tenant's Service `sid`, or undefined (another tenant's Service is undefined too). */
  async get(tenantId: string, sid: string): Promise<TwilioService | undefined> {
    if (!/^VA[0-9a-f]{32}$/.test(sid)) return undefined;
    const cacheKey = `${tenantId}|${sid}`;
    const hit = this.cache.get(cacheKey);
    if (hit) return hit.value;
    const out = await guard(() =>
      this.ddb.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: marshall({ pk: tenantPk(tenantId), sk: `${SERVICE_SK_PREFIX}${sid}` }),
        }),
      ),
    );
    const service = out.Item ? twilioServiceSchema.parse(unmarshall(out.Item)) : undefined;
    const ttl = service ? this.cacheSeconds : Math.min(UNKNOWN_SERVICE_CACHE_SECONDS, this.cacheSeconds);
    this.cache.set(cacheKey, service, ttl * 1000);
    return service;
  }

  /** Stores a new Service (never replaces one: the sid is random and the write conditional). */
  async create(
    tenantId: string,
    sid: string,
    settings: ServiceSettings,
    now: number,
  ): Promise<TwilioService> {
    const service = twilioServiceSchema.parse({
      ...serviceSettingsSchema.parse(settings),
      sid,
      tenantId,
      dateCreated: now,
      dateUpdated: now,
    });
    await this.save(service, 'attribute_not_exists(pk)');
    return service;
  }

  /** Every Service of a tenant, oldest first (at most `limit`). */
  async list(tenantId: string, limit = 1000): Promise<TwilioService[]> {
    const out = await guard(() =>
      this.ddb.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: marshall({ ':pk': tenantPk(tenantId), ':prefix': SERVICE_SK_PREFIX }),
          Limit: limit,
        }),
      ),
    );
    return (out.Items ?? [])
      .map((i) => twilioServiceSchema.parse(unmarshall(i)))
      .sort((a, b) => a.dateCreated - b.dateCreated);
  }

  /** Writes a Service as given: replacing one (the demo seed), or under `condition`. */
  async save(service: TwilioService, condition?: string): Promise<void> {
    try {
      await guard(() =>
        this.ddb.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: marshall(
              { pk: tenantPk(service.tenantId), sk: `${SERVICE_SK_PREFIX}${service.sid}`, ...service },
              { removeUndefinedValues: true },
            ),
            ...(condition !== undefined && { ConditionExpression: condition }),
          }),
        ),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new Error(`Service ${service.sid} conflict`);
      throw error;
    }
    this.cache.delete(`${service.tenantId}|${service.sid}`);
  }
}
