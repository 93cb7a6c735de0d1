/**
 * Masking for logs and for messages that name a destination (SummitAI's "OTP sent to …").
 * A masked value keeps enough to recognise one's own number or inbox and nothing more.
 */

/** `+919876543219` → `+91*******219`; short or odd input keeps at most its last 3 characters. */
export const maskPhone = (phone: string): string => {
  const digits = phone.replace(/[^\d+]/g, '');
  if (digits.length <= 5) return '*'.repeat(digits.length);
  const head = digits.startsWith('+') ? digits.slice(0, 3) : '';
  const tail = digits.slice(-3);
  return `${head}${'*'.repeat(digits.length - head.length - tail.length)}${tail}`;
};

/**
 * SummitAI's style of naming a phone number in "OTP sent to …": the last three digits only
 * (`+919876543219` → `***219`). Stricter than `maskPhone`, which keeps the country code: this
 * text goes back to the calling system and may be shown to whoever asked for the code.
 */
export const maskPhoneTail = (phone: string): string => {
  const digits = phone.replace(/\D/g, '');
  return `***${digits.length > 5 ? digits.slice(-3) : ''}`;
};

/** `tomsawyer@gmail.com` → `to***@gmail.com`; the domain is kept, the local part cut to 2. */
export const maskEmail = (email: string): string => {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email.slice(0, Math.min(2, at))}***${email.slice(at)}`;
};

/** `tomsawyer@symphony.com` → `to***@sy***.com` (SummitAI's style, which hides the domain too). */
export const maskEmailStrict = (email: string): string => {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${email.slice(0, Math.min(2, at))}***@${host.slice(0, 2)}***${tld}`;
};

/** Masks a destination of either kind. */
export const maskDestination = (value: string): string =>
  value.includes('@') ? maskEmail(value) : maskPhone(value);

/**
 * A credential id as a log may show it: its first four characters and its length
 * (`demo-client` → `demo…(11)`), enough to tell which client failed without naming it in full.
 */
export const maskCredentialId = (id: string): string => `${id.slice(0, 4)}…(${id.length})`;
