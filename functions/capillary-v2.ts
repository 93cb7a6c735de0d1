import { type AppDeps, awsDeps } from '../shared/app-deps';
import { emailSender, smsSender, voiceSender, whatsappSender, zaloSender } from '../shared/channels/aws';
import { capillaryV2 } from '../shared/dialects/capillary-v2/handlers';
import { createDialectHandler } from '../shared/http/dialect-handler';
import type { LambdaHandler } from '../shared/http/types';

/** The seed-004 Lambda: `/v2/otp/generate` and `/v2/otp/validate`. */
export const createHandler = (deps: AppDeps): LambdaHandler => createDialectHandler(capillaryV2, deps);

let instance: LambdaHandler | undefined;

/** The AWS entry point; deps (clients, config) are built on the first invocation of a container. */
export const handler: LambdaHandler = (event, context) => {
  instance ??= createHandler(
    awsDeps({
      SMS: smsSender,
      EMAIL: emailSender,
      VOICE: voiceSender,
      WHATSAPP: whatsappSender,
      ZALO: zaloSender,
    }),
  );
  return instance(event, context);
};
