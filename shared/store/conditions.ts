/**
 * Condition-expression fragments, each defined once with the race it closes, and composed with
 * `and` / `or` / `not`. DynamoDB evaluates a condition against the committed item inside the
 * write, so an invariant spelled here holds under any number of parallel requests.
 */

/** Wraps each part in parentheses and joins them with AND. */
export const and = (...parts: string[]): string => parts.map((p) => `(${p})`).join(' AND ');

/** Wraps each part in parentheses and joins them with OR. */
export const or = (...parts: string[]): string => parts.map((p) => `(${p})`).join(' OR ');

export const not = (part: string): string => `NOT (${part})`;

/**
 * A live code: issued, not used, not expired (`:now`). Single use rests on
 * `attribute_not_exists(consumedAt)`: of any number of parallel consumes exactly one sees it.
 * DynamoDB TTL deletes late, so expiry is checked here and never left to TTL.
 */
export const LIVE = and('attribute_exists(pk)', 'attribute_not_exists(consumedAt)', 'expiresAt > :now');

/**
 * The code still has guesses left (`:maxAttempts`). Reserving an attempt under this condition is
 * what makes "at most N guesses compared per code" hold under a burst: the reservations are
 * serialised on the item, so only N of any number of parallel guesses get one.
 */
export const UNDER_ATTEMPTS = 'attempts < :maxAttempts';

/**
 * The fallback step before this one (`:prevStep`) is the last one done: of two firings of one
 * schedule (EventBridge Scheduler delivers at least once) exactly one moves the step on.
 */
export const STEP_DUE = 'fallbackStep = :prevStep';

/** The challenge is still the one this request read (`:id`): a replaced code is not touched. */
export const SAME_CODE = 'id = :id';

/**
 * A counter attribute with room for one more charge: `attr <= :room`, where `room` is
 * `limit - amount` and is bound to `placeholder` by the caller. Missing means zero, so a missing
 * counter passes only when the charge itself fits (`room >= 0`): a 10-message request against a
 * limit of 9 is refused on a fresh counter too. Evaluated on the committed value, so parallel
 * charges cannot overshoot the limit together.
 */
export const hasRoom = (attr: string, placeholder: string, room: number): string =>
  room < 0 ? `${attr} <= ${placeholder}` : or(`attribute_not_exists(${attr})`, `${attr} <= ${placeholder}`);

/** A counter attribute strictly under `placeholder` (missing means zero). */
export const below = (attr: string, placeholder: string): string =>
  or(`attribute_not_exists(${attr})`, `${attr} < ${placeholder}`);
