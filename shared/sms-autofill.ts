/**
 * The autofill lines of an SMS: the Android SMS Retriever app hash and the origin-bound one-time
 * code line (WICG "Origin-bound one-time codes delivered via SMS", used by WebOTP and by iOS and
 * Android keyboard autofill).
 */

/**
 * A host as the origin-bound line names it: lower-case ASCII labels (punycode for IDNs), at least
 * two, no scheme, port or path. The spec reads the host up to the first whitespace, so anything
 * else would bind the code to the wrong origin.
 */
export const AUTOFILL_DOMAIN =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/**
 * Android's app hash: the first 11 characters of the base64 (standard alphabet, no padding) of a
 * SHA-256 over the package name and signing certificate (Google's "Computing your app's hash
 * string"). Exactly 11 characters; anything else cannot match an app.
 */
export const APP_HASH = /^[A-Za-z0-9+/]{11}$/;

export interface AutofillOptions {
  /** The site's host for the origin-bound line (`example.com`). */
  domain?: string | undefined;
  /** The Android SMS Retriever app hash. */
  appHash?: string | undefined;
}

/**
 * The SMS as sent: the rendered text, then the app hash on a line of its own, then a blank line
 * and `@<domain> #<code>` as the very last line. The WICG format reads only the last line and
 * requires it to start with `@host`, one space, `#code`; its examples put a blank line before it,
 * which keeps it apart from the text for a human reader. SMS Retriever only needs the hash
 * somewhere in the message, so the hash goes before the origin-bound line, never after it.
 * Trailing whitespace of the text is dropped when a line is added, so the layout is exact.
 * Without options the text is returned unchanged.
 */
export const withAutofill = (text: string, code: string, options: AutofillOptions): string => {
  if (!options.domain && !options.appHash) return text;
  let out = text.trimEnd();
  if (options.appHash) out += `\n${options.appHash}`;
  if (options.domain) out += `\n\n@${options.domain} #${code}`;
  return out;
};
