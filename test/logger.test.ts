import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DiscordAPIError } from 'discord.js';
import { createLogger, registerSecrets } from '../src/logger.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

describe('logger', () => {
  it('never writes a registered secret, wherever it appears', () => {
    const key = 'gsk_live_secret_value_123456';
    registerSecrets(key);
    const { lines, logger } = capture();
    logger.info({ apiKey: key, nested: { note: `key=${key}` } }, `calling with ${key}`);
    logger.error({ err: new Error(`401 for key ${key}`) }, 'failed');
    const output = lines.join('');
    expect(output).not.toContain(key);
    expect(output).toContain('[redacted]');
    expect(output).toContain('calling with [redacted]');
  });

  it('redacts known secret fields even when the value was never registered', () => {
    const { lines, logger } = capture();
    logger.info({ config: { DISCORD_TOKEN: 'unregistered-token-abc' }, headers: { authorization: 'Bearer zzz' } }, 'x');
    expect(lines.join('')).not.toContain('unregistered-token-abc');
  });

  it("keeps a Discord error's code, status, url and cause, scrubbing secrets in its strings only", () => {
    const { lines, logger } = capture();
    const key = 'gsk_discord_side_secret_987654';
    registerSecrets(key);
    const cause = new Error(`socket hang up while sending ${key}`);
    const err = new DiscordAPIError({ code: 50027, message: 'Invalid Webhook Token' }, 50027, 401, 'PATCH', 'https://discord.invalid/api/v10/webhooks/1/tok/messages/@original', { files: undefined, body: undefined });
    Object.assign(err, { cause });
    logger.error({ err }, 'edit failed');
    const entry = JSON.parse(lines[0] ?? '{}') as { err: { code: number; status: number; url: string; method: string; message: string; cause?: { message: string } } };
    expect(entry.err).toMatchObject({ code: 50027, status: 401, method: 'PATCH' });
    expect(entry.err.message).toBe('Invalid Webhook Token');
    expect(entry.err.url).toContain('/webhooks/1/tok/messages/@original');
    expect(entry.err.cause?.message).toBe('socket hang up while sending [redacted]');
    expect(lines.join('')).not.toContain(key);
  });
});
