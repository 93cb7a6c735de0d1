/**
 * SummitAI's style of naming a phone number in "OTP sent to …": the last three digits only
 * (`+919876543219` → `***219`). Stricter than shared `maskPhone`, which keeps the country code:
 * this text goes back to the calling system and may be shown to whoever asked for the code.
 */
export const maskPhoneTail = (phone: string): string => {
  const digits = phone.replace(/\D/g, '');
  return `***${digits.length > 5 ? digits.slice(-3) : ''}`;
};
