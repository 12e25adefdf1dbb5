/**
 * What a user is told about a failed model call: a short, friendly reason that says what to do,
 * never the provider's own error text (which can quote request data, and is noise to a user).
 * The full, redacted message goes to the log instead.
 */
import type { TeacherFailureKind } from './types.ts';

const REASONS: Record<TeacherFailureKind, string> = {
  auth: 'refused the key — tell the bot’s owner',
  rate_limited: 'is over its rate limit — try again in a minute',
  timeout: 'took too long to answer',
  network: 'cannot be reached right now',
  server_error: 'had a server error',
  bad_reply: 'gave no usable answer',
  empty_output: 'gave an empty answer',
  client_error: 'refused the request',
  internal: 'failed on my side',
  cancelled: 'was stopped',
};

/** `who` (a model name, in Markdown if wanted) and why it did not answer, in a few friendly words. */
export function friendlyFailure(who: string, failure: { kind: TeacherFailureKind }): string {
  return `${who} ${REASONS[failure.kind]}`;
}
