import { type AppDeps, awsDeps } from '../shared/app-deps';
import { smsSender } from '../shared/channels/aws';
import { appOtp } from '../shared/dialects/app-otp/handlers';
import { createDialectHandler } from '../shared/http/dialect-handler';
import type { LambdaHandler } from '../shared/http/types';

/** The seed-001 Lambda: `/fe/users/auth/otp/register`, `/verify` and `/resend`. */
export const createHandler = (deps: AppDeps): LambdaHandler => createDialectHandler(appOtp, deps);

let instance: LambdaHandler | undefined;

/** The AWS entry point; deps (clients, config) are built on the first invocation of a container. */
export const handler: LambdaHandler = (event, context) => {
  instance ??= createHandler(awsDeps({ SMS: smsSender }));
  return instance(event, context);
};
