/** The goals of issues 5 and 10, as ratios to a baseline measured in the same run. */
export const BUDGETS = {
  /** Engine + middleware at p50 over the raw DynamoDB floor (3 items per generate, 2 per verify). */
  latencyP50: 1.3,
  /** Process start → bundle imported, over the exact-clients bundle, both as deployed. */
  coldInit: 1.25,
  /** Bundle bytes over the exact-clients bundle. */
  bundleBytes: 1.2,
  /** DynamoDB write request units per generate + verify pair, one SMS channel. */
  writeUnitsPerPair: 12,
} as const;

/** Sequential DynamoDB round trips per operation (issue 10 point 2), by counting, not timing. */
export const ROUND_TRIP_BUDGETS = {
  freshGenerate: 1,
  resendWithinExpiry: 2,
  verifySuccess: 2,
  wrongCode: 2,
} as const;
