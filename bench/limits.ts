/**
 * Limits no benchmark reaches, with every defence still charging its counters (so the requests
 * are the production ones): the daily caps, the SMS-pumping velocity limit per number prefix, and
 * the conversion breaker, which only judges a country past `conversionMinSends` sends an hour.
 * Unknown keys are dropped by the schema, so this also works before or after a policy field exists.
 */
export const UNREACHED_LIMITS: Record<string, number> = {
  maxDailySendsPerDestination: 100_000,
  maxDailySendsPerTenant: 10_000_000,
  maxDailyFailuresPerDestination: 1000,
  maxSendsPerPrefixPerHour: 1_000_000,
  conversionMinSends: 1_000_000,
};
