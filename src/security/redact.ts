/**
 * The one redaction of secrets in text: every API key, token and credential-bearing query string is
 * replaced before any text leaves the process (logs, stored records, Discord messages, failure
 * reasons). Always redact BEFORE cutting text short: a cut can split a key so that neither half
 * matches any more, and the half that survives still leaks.
 */

export const REDACTED = '[redacted]';

/** Exact values (configured keys) that must never appear anywhere, registered at start-up. */
const registered = new Set<string>();

/** A fragment of a registered secret this long or longer is treated as the secret itself. */
export const MIN_FRAGMENT = 8;

/** Registers values (API keys, tokens) that must never appear in a log line, record or message. */
export function registerSecrets(...values: (string | undefined)[]): void {
  for (const value of values) if (value && value.length >= MIN_FRAGMENT) registered.add(value);
}

/**
 * Credential shapes recognised without being registered: provider key formats, bearer tokens,
 * Discord bot tokens, and `key=`-style parameters whether in a query string, URL-encoded, a header
 * line or a JSON field.
 */
const PATTERNS: readonly [RegExp, string][] = [
  // Google API keys (Gemini), Groq, Hugging Face, OpenAI-style and Anthropic-style keys.
  [/AIza[0-9A-Za-z_-]{8,}/g, REDACTED],
  [/\bgsk_[0-9A-Za-z]{8,}/g, REDACTED],
  [/\bhf_[0-9A-Za-z]{8,}/g, REDACTED],
  [/\bsk-[0-9A-Za-z_-]{8,}/g, REDACTED],
  // Discord bot tokens: base64 user id, timestamp, HMAC.
  [/\b[MNO][A-Za-z\d_-]{20,}\.[A-Za-z\d_-]{4,}\.[A-Za-z\d_-]{20,}/g, REDACTED],
  // Authorization: Bearer <token> / Basic <base64> (Discord's `Bot <token>` is caught above).
  [/\b(Bearer)(\s+|%20|\+)(?!\[redacted\])[A-Za-z0-9._~+/=-]{6,}/gi, `$1$2${REDACTED}`],
  [/\b(Basic)(\s+|%20|\+)[A-Za-z0-9+/=]{12,}/g, `$1$2${REDACTED}`],
  // key=… in any form: ?key= &api_key= key%3D token=… (value up to a delimiter).
  [/((?:api[_-]?key|access[_-]?token|auth[_-]?token|token|secret|password|key)\s*(?:=|%3D)\s*["']?)(?!\[redacted\])[^\s&"',;<>)}\]]{4,}/gi, `$1${REDACTED}`],
  // The same names as JSON fields ("apiKey": "…") and key headers (x-goog-api-key: …). A bare
  // "Token: word" in prose is left alone: Discord's "Invalid Webhook Token: …" is not a secret.
  [/("(?:api[_-]?key|access[_-]?token|auth[_-]?token|token|secret|password|key)"\s*:\s*")(?!\[redacted\])[^"]{4,}/gi, `$1${REDACTED}`],
  [/((?:x-goog-api-key|x-api-key|api-key|apikey)\s*:\s*)(?!\[redacted\])[^\s&"',;<>)}\]]{4,}/gi, `$1${REDACTED}`],
];

/** Ranges of `text` holding a registered secret or a fragment of one at least MIN_FRAGMENT long. */
function registeredRanges(text: string, secrets: Iterable<string>): [number, number][] {
  const ranges: [number, number][] = [];
  for (const secret of secrets) {
    for (let i = 0; i + MIN_FRAGMENT <= secret.length; i++) {
      const window = secret.slice(i, i + MIN_FRAGMENT);
      for (let at = text.indexOf(window); at >= 0; at = text.indexOf(window, at + 1)) ranges.push([at, at + MIN_FRAGMENT]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1]) last[1] = Math.max(last[1], range[1]);
    else merged.push([...range]);
  }
  return merged;
}

/**
 * `text` with every registered secret (and every fragment of one), every known key format, bearer
 * token and `key=` parameter replaced by `[redacted]`. `extra` adds secrets for this call only.
 */
export function redactSecrets(text: string, extra: readonly (string | undefined)[] = []): string {
  if (text === '') return text;
  const secrets = [...registered, ...extra.filter((s): s is string => !!s && s.length >= MIN_FRAGMENT)];
  let out = text;
  const ranges = registeredRanges(out, secrets);
  for (let i = ranges.length - 1; i >= 0; i--) {
    const [start, end] = ranges[i] as [number, number];
    out = `${out.slice(0, start)}${REDACTED}${out.slice(end)}`;
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Forgets the registered secrets (tests). */
export function clearRegisteredSecrets(): void {
  registered.clear();
}
