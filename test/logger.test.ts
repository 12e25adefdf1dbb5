import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, registerSecrets, scrubSecrets } from '../src/logger.ts';

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

  it('scrubs secrets out of plain text', () => {
    registerSecrets('hf_abcdefghijkl');
    expect(scrubSecrets('token hf_abcdefghijkl rejected')).toBe('token [redacted] rejected');
  });
});
