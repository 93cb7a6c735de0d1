import * as z from 'zod';
import { CONTROL_CHARACTERS_MESSAGE, hasControlCharacters } from '../../control-characters';
import { MAX_EMAIL_HTML_CHARACTERS, MAX_SMS_TEMPLATE_BYTES } from '../../tenants';
import { CASE_INSENSITIVE, registerSchemas, type SecurityRequirement } from '../schemas';

/** Seed 004's actions. Matched case-insensitively. */
export const ACTIONS = [
  'COUPON',
  'POINTS',
  'REGISTRATION',
  'USERGROUP',
  'SUBSCRIPTION',
  'GENERIC',
  'POINTSTRANSFER',
  'CUSTOMER_STATUS_UPDATE',
  'CUSTOMER_IDENTIFIER_CHANGE',
  'CUSTOMER_ISSUE_LINK_CARD',
] as const;

/** Seed 004's channel types; MOBILE and PHONE both mean a phone call. */
export const CHANNEL_NAMES = ['SMS', 'EMAIL', 'PHONE', 'MOBILE', 'WHATSAPP', 'ZALO'] as const;

const upper = (values: readonly string[]) =>
  z
    .preprocess(
      (v) => (typeof v === 'string' ? v.trim().toUpperCase() : v),
      z.enum(values as [string, ...string[]]),
    )
    .meta({ [CASE_INSENSITIVE]: true });

/** Every field has a cap so a huge body cannot make the engine do huge work. */
const text = (max: number) => z.string().max(max);

/**
 * A single-line field that ends up in an e-mail header (a subject, an address, a value that may be
 * one): no control characters, so "Hello\r\nBcc: …" cannot add headers (400 in the vendor shape).
 */
const line = (max: number) =>
  text(max).refine((v) => !hasControlCharacters(v), { message: CONTROL_CHARACTERS_MESSAGE });

export const generateBody = z.object({
  entityType: upper(['MOBILE', 'EMAIL']).describe('MOBILE or EMAIL (case-insensitive)'),
  entityValue: line(254).min(1).describe('Mobile number or e-mail address of the customer'),
  action: upper(ACTIONS).describe('What the code is for'),
  // 1,000 characters may be 4,000 bytes; one SNS publish takes 1,600 (608 in the vendor shape).
  template: text(1000)
    .refine((v) => Buffer.byteLength(v, 'utf8') <= MAX_SMS_TEMPLATE_BYTES, {
      message: `SMS template over ${MAX_SMS_TEMPLATE_BYTES} bytes (UTF-8), the size of one SNS publish`,
    })
    .optional()
    .describe('SMS template with exactly one {{ validation_code }}; at most 1,600 bytes in UTF-8'),
  whatsappTemplateName: text(512).optional(),
  zaloTemplateIdentifier: text(512).optional(),
  emailTemplate: z
    .object({
      subject: line(998).min(1),
      body: text(20_000).min(1).optional(),
      html: text(MAX_EMAIL_HTML_CHARACTERS).min(1).optional(),
    })
    .refine((t) => t.body !== undefined || t.html !== undefined, { message: 'body or html is required' })
    .optional()
    .describe(
      'E-mail template; body (text) and/or html each hold exactly one {{ validation_code }}; without body the text part is derived from html',
    ),
  channels: z
    .array(z.object({ type: upper(CHANNEL_NAMES), value: line(254).min(1) }))
    .max(10)
    .optional()
    .describe('Channels to send to in parallel; default: SMS (MOBILE) or EMAIL (EMAIL) to entityValue'),
});
export type GenerateBody = z.infer<typeof generateBody>;

export const validateBody = z
  .object({
    entityType: upper(['MOBILE', 'EMAIL']),
    entityValue: line(254).min(1),
    action: upper(ACTIONS),
    code: z.union([text(32), z.number().int().nonnegative()]).optional(),
    otp: z
      .union([text(32), z.number().int().nonnegative()])
      .optional()
      .describe('Alias of code'),
  })
  .refine((b) => b.code !== undefined || b.otp !== undefined, {
    message: 'code is required',
    path: ['code'],
  });

registerSchemas(
  () => {
    const message = z.object({ code: z.number(), message: z.string() });

    const generateResponse = z.object({
      createdId: z.number().describe('Id of this request; 1 when a live code was re-sent'),
      warnings: z.array(message.extend({ channel: z.string().optional() })),
    });
    const validateResponse = z.object({ entity: z.boolean(), warnings: z.array(message) });
    const errorResponse = z.object({
      entity: z.boolean().optional(),
      errors: z.array(message),
      warnings: z.array(message),
    });

    /** Seed 004's request examples, as the seed writes them (its SMS example completed). */
    const SEED_GENERATE_EXAMPLES = {
      EMAIL: {
        summary: 'E-mail, SMS and a phone call (seed 004)',
        value: {
          entityType: 'email',
          entityValue: 'tomsawyer@gmail.com',
          action: 'REGISTRATION',
          template: 'Hi user.Your OTP for validation is {{ validation_code }}.Enjoy',
          emailTemplate: {
            subject: 'Validation Code',
            body: 'Dear Customer, The validation code for your request is: {{ validation_code }}. You will also receive the validation code by SMS on your registered mobile number shortly.',
          },
          channels: [
            { type: 'SMS', value: '9955882233' },
            { type: 'EMAIL', value: 'tomsawyer@gmail.com' },
            { type: 'PHONE', value: '9955882233' },
          ],
        },
      },
      WHATSAPP: {
        summary: 'WhatsApp template (seed 004)',
        value: {
          entityType: 'mobile',
          entityValue: '919986000581',
          action: 'POINTS',
          whatsappTemplateName: 'test_temp2',
          channels: [{ type: 'whatsapp', value: '919986000586' }],
        },
      },
      SMS: {
        summary: 'SMS and a phone call (seed 004)',
        value: {
          entityType: 'MOBILE',
          entityValue: '911234567896',
          action: 'POINTSTRANSFER',
          template: 'Hi user.Your OTP for validation is {{ validation_code }}.Enjoy',
          channels: [
            { type: 'SMS', value: '911234567896' },
            { type: 'PHONE', value: '911234567896' },
          ],
        },
      },
    };

    /** Seed 004: HTTP Basic client id and secret, or an OAuth bearer token of the tenant's issuer. */
    const security: SecurityRequirement[] = [{ capillaryV2Basic: [] }, { capillaryV2Bearer: [] }];
    return {
      capillaryV2Generate: {
        body: generateBody,
        response: generateResponse,
        error: errorResponse,
        errorStatuses: [400, 401, 429, 503],
        security,
        examples: { request: SEED_GENERATE_EXAMPLES, response: { createdId: 10, warnings: [] } },
      },
      capillaryV2Validate: {
        body: validateBody,
        response: validateResponse,
        error: errorResponse,
        errorStatuses: [400, 401, 429, 503],
        security,
        examples: {
          request: {
            SMS: {
              summary: 'The code of the SMS example',
              value: {
                entityType: 'MOBILE',
                entityValue: '911234567896',
                action: 'POINTSTRANSFER',
                code: '123456',
              },
            },
          },
          response: { entity: true, warnings: [] },
        },
      },
    };
  },
  {
    capillaryV2Basic: {
      type: 'http',
      scheme: 'basic',
      description: 'Client id and secret of a `v2-basic` credential (`npm run admin -- credential create`)',
    },
    capillaryV2Bearer: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'A JWT of the tenant’s issuer (tenant `jwt`: HS256 secret or JWKS URL)',
    },
  },
);
