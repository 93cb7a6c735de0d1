/**
 * Characters that must never reach a single-line field that becomes part of a message header
 * (e-mail subjects and addresses): every C0 control (U+0000–U+001F, so CR, LF and TAB too), DEL,
 * every C1 control (U+0080–U+009F, which holds NEL, a line break to some parsers) and the Unicode
 * line and paragraph separators (U+2028, U+2029).
 *
 * CR and LF are what header injection needs ("Hello\r\nBcc: …"). The rest are refused too: RFC
 * 5322 allows TAB only as folding whitespace, which an OTP subject never needs, NUL and the other
 * controls have no meaning in a subject or an address, and one rule for "no controls" is easier
 * to check than a list of the dangerous ones. Multi-line fields (SMS text, e-mail bodies) do not
 * use this: their line breaks are content, and SES sends the body as a body, not a header.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Whether a single-line value holds a character that could break a header (see above). */
export const hasControlCharacters = (value: string): boolean => CONTROL_CHARACTERS.test(value);

/** The message a schema gives for a refused value; it never echoes the value. */
export const CONTROL_CHARACTERS_MESSAGE = 'must not contain control characters or line breaks';
