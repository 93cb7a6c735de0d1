/**
 * The name prefix of this process's test tables. Under Stryker (`npm run mutate`) each of its
 * workers runs jest once per mutant against one shared DynamoDB Local, so a worker's tables carry
 * its id and the global teardown of each run drops them (test/support/global-teardown.ts).
 * Kept apart from harness.ts so the teardown loads none of the (mutated) service code.
 */
export const testTablePrefix = (): string => {
  const worker = process.env.STRYKER_MUTATOR_WORKER;
  return worker === undefined ? 'otp-test-' : `otp-test-w${worker}-`;
};
