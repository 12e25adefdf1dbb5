/**
 * Component custom ids: `zega:<scope>:<action>:<token>[:<extra>]`, at most 100 characters.
 *
 * - scope and action: lower-case letters, digits and `-`, 1–16 characters each;
 * - token: the run token (or, for story lists, the owner's user id) that ties a click to its
 *   panel; letters, digits, `_` and `-`, 1–40 characters;
 * - extra: optional free text (may contain `:`) for small state such as a page number.
 *
 * `customId` throws on anything else, so a bad id fails where it is built rather than at
 * Discord; `parseCustomId` returns undefined for ids that are not Zega's or are malformed.
 */
import { LIMITS } from './limits.ts';

export const CUSTOM_ID_PREFIX = 'zega';

/** The scopes and actions that the embeds of `src/discord/embeds` put on their components. */
export const ACTIONS = {
  setup: { genres: 'genres', save: 'save', memory: 'memory', teachers: 'teachers', start: 'start', cancel: 'cancel' },
  run: { stop: 'stop' },
  results: { stories: 'stories', leaderboard: 'leaderboard', again: 'again' },
  stories: { prev: 'prev', next: 'next', open: 'open' },
} as const;

export type Scope = keyof typeof ACTIONS;

export interface ParsedCustomId {
  scope: string;
  action: string;
  token: string;
  extra?: string;
}

const NAME = /^[a-z0-9-]{1,16}$/;
const TOKEN = /^[A-Za-z0-9_-]{1,40}$/;

export function customId(scope: string, action: string, token: string, extra?: string): string {
  if (!NAME.test(scope)) throw new RangeError(`customId: bad scope ${JSON.stringify(scope)}`);
  if (!NAME.test(action)) throw new RangeError(`customId: bad action ${JSON.stringify(action)}`);
  if (!TOKEN.test(token)) throw new RangeError(`customId: bad token ${JSON.stringify(token)}`);
  if (extra !== undefined && extra.length === 0) throw new RangeError('customId: extra must not be empty');
  const id = [CUSTOM_ID_PREFIX, scope, action, token, ...(extra === undefined ? [] : [extra])].join(':');
  if (id.length > LIMITS.component.customId) {
    throw new RangeError(`customId: ${id.length} characters, Discord allows ${LIMITS.component.customId}`);
  }
  return id;
}

export function parseCustomId(id: string): ParsedCustomId | undefined {
  if (id.length > LIMITS.component.customId) return undefined;
  const parts = id.split(':');
  const [prefix, scope, action, token] = parts;
  if (prefix !== CUSTOM_ID_PREFIX || scope === undefined || action === undefined || token === undefined) return undefined;
  if (!NAME.test(scope) || !NAME.test(action) || !TOKEN.test(token)) return undefined;
  if (parts.length === 4) return { scope, action, token };
  const extra = parts.slice(4).join(':');
  return extra.length > 0 ? { scope, action, token, extra } : undefined;
}
