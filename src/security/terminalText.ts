/**
 * The one guard for text bound for a terminal. Generated stories and titles can carry ESC, OSC or
 * BEL sequences that clear the screen, retitle the window or rewrite what was printed; printed raw
 * they drive the reader's terminal. Only newlines and tabs survive.
 */

// The point of this pattern is to match control characters.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `text` without C0/C1 control characters (except `\n` and `\t`), DEL and bidi overrides. */
export function stripControlChars(text: string): string {
  return text.replace(CONTROL, '');
}
