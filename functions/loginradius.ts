import { type AppDeps, awsDeps } from '../shared/app-deps';
import { smsSender } from '../shared/channels/aws';
import { loginRadius } from '../shared/dialects/loginradius/handlers';
import { createDialectHandler } from '../shared/http/dialect-handler';
import type { LambdaHandler } from '../shared/http/types';

/** The seed-000 Lambda: LoginRadius `/identity/v2/manage/account/smsotp/{smsotptype}` and its `/verify`. */
export const createHandler = (deps: AppDeps): LambdaHandler => createDialectHandler(loginRadius, deps);

let instance: LambdaHandler | undefined;

/** The AWS entry point; deps (clients, config) are built on the first invocation of a container. */
export const handler: LambdaHandler = (event, context) => {
  instance ??= createHandler(awsDeps({ SMS: smsSender }));
  return instance(event, context);
};
