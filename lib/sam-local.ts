import { CfnRule, Fn, type Stack } from 'aws-cdk-lib';
import { LOCAL_CONSTANTS } from '../local/config';
import type { DialectId } from '../shared/routes';

/**
 * `sam local` support. `sam local start-api --env-vars sam/env.json` sets only the variables a
 * function's template declares, so a template synthesized with `-c samLocal=true` declares the
 * local ones too. Their values here are the local runtime's (LOCAL-ONLY, public in this
 * repository) with the endpoints a container reaches on the host; `sam/env.json` sets the same
 * per function, and test/infra/sam-local.test.ts keeps the two and the template in step.
 */

/** Where a Lambda container reaches `npm start`'s emulators on the host (Docker Desktop; see README). */
export const SAM_LOCAL_HOST = 'http://host.docker.internal';

/** The variables a sam local function gets on top of the deployed ones. */
export const samLocalEnvironment = (dialect: DialectId): Record<string, string> => ({
  TABLE_NAME: LOCAL_CONSTANTS.tableName,
  DYNAMODB_ENDPOINT: `${SAM_LOCAL_HOST}:8000`,
  SES_ENDPOINT: `${SAM_LOCAL_HOST}:8005`,
  // No SNS emulator ships with `npm start`: point this at one (any SNS-compatible mock), or SMS
  // sends fail and the dialect answers with its provider warning.
  AWS_ENDPOINT_URL_SNS: `${SAM_LOCAL_HOST}:8006`,
  OTP_PEPPER: LOCAL_CONSTANTS.pepper,
  TENANT_SEALING_KEY: LOCAL_CONSTANTS.tenantSealingKey,
  // Only the auth engine signs tokens (the deployed template gives only it the signing key).
  ...(dialect === 'capillary-auth' ? { TOKEN_SIGNING_KEY: LOCAL_CONSTANTS.signingKey } : {}),
});

/**
 * A rule CloudFormation checks before any change: it can never hold, so a sam local template
 * (local keys in its environment) is refused by `cdk deploy`. `sam local` does not evaluate rules.
 */
export const refuseDeploy = (stack: Stack): CfnRule =>
  new CfnRule(stack, 'SamLocalOnly', {
    assertions: [
      {
        assert: Fn.conditionEquals('sam-local', 'deploy'),
        assertDescription:
          'This template was synthesized with -c samLocal=true for sam local: it carries local-only keys and must not be deployed',
      },
    ],
  });
