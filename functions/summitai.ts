import { type AppDeps, awsDeps } from '../shared/app-deps';
import { emailSender, smsSender } from '../shared/channels/aws';
import { summitAi } from '../shared/dialects/summitai/handlers';
import { createDialectHandler } from '../shared/http/dialect-handler';
import type { LambdaHandler } from '../shared/http/types';

/** The seed-003 Lambda: `POST /adm/service` (ADM_GenerateOTP / ADM_ValidateOTP). */
export const createHandler = (deps: AppDeps): LambdaHandler => createDialectHandler(summitAi, deps);

let instance: LambdaHandler | undefined;

/** The AWS entry point; deps (clients, config) are built on the first invocation of a container. */
export const handler: LambdaHandler = (event, context) => {
  instance ??= createHandler(awsDeps({ SMS: smsSender, EMAIL: emailSender }));
  return instance(event, context);
};
