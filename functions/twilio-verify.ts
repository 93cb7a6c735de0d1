import { type AppDeps, awsDeps } from '../shared/app-deps';
import { emailSender, smsSender, voiceSender, whatsappSender } from '../shared/channels/aws';
import { twilioVerify } from '../shared/dialects/twilio-verify/handlers';
import { createDialectHandler } from '../shared/http/dialect-handler';
import type { LambdaHandler } from '../shared/http/types';

/** The Twilio Verify v2 Lambda: `/v2/Services…` (Services, Verifications, VerificationCheck). */
export const createHandler = (deps: AppDeps): LambdaHandler => createDialectHandler(twilioVerify, deps);

let instance: LambdaHandler | undefined;

/** The AWS entry point; deps (clients, config) are built on the first invocation of a container. */
export const handler: LambdaHandler = (event, context) => {
  instance ??= createHandler(
    awsDeps({ SMS: smsSender, EMAIL: emailSender, VOICE: voiceSender, WHATSAPP: whatsappSender }),
  );
  return instance(event, context);
};
