import { type AppDeps, awsDeps } from '../shared/app-deps';
import { emailSender, smsSender } from '../shared/channels/aws';
import { capillaryAuth } from '../shared/dialects/capillary-auth/handlers';
import { createDialectHandler } from '../shared/http/dialect-handler';
import type { LambdaHandler } from '../shared/http/types';

/** The seed-002 Lambda: `/auth/v1/{token,otp}/...` and the same under `/auth/v1/web/...`. */
export const createHandler = (deps: AppDeps): LambdaHandler => createDialectHandler(capillaryAuth, deps);

let instance: LambdaHandler | undefined;

/** The AWS entry point; deps (clients, config) are built on the first invocation of a container. */
export const handler: LambdaHandler = (event, context) => {
  instance ??= createHandler(awsDeps({ SMS: smsSender, EMAIL: emailSender }));
  return instance(event, context);
};
