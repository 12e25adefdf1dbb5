/**
 * The one redaction (src/security/redact.ts): keys, bearer tokens and `key=` parameters in any
 * form, registered secrets and fragments of them — and, through the real Groq and Gemini SDKs, a
 * key that straddles the 300-character cut of failure messages.
 */
import { describe, expect, it } from 'vitest';
import { redactSecrets, registerSecrets } from '../src/security/redact.ts';
import { MAX_FAILURE_MESSAGE, truncateMessage } from '../src/teachers/failure.ts';
import { createGeminiTeacher } from '../src/teachers/gemini.ts';
import { createGroqTeacher } from '../src/teachers/groq.ts';
import { startSimulator } from '../src/simulators/common.ts';
import type { Teacher } from '../src/teachers/types.ts';
import { openStore } from '../src/storage/index.ts';
import { startTraining } from '../src/trainer/run.ts';

/** Every `size`-character window of `secret`: none may survive anywhere. */
function fragments(secret: string, size = 6): string[] {
  return Array.from({ length: secret.length - size + 1 }, (_, i) => secret.slice(i, i + size));
}

function expectNoFragment(text: string, secret: string): void {
  for (const fragment of fragments(secret)) expect(text, `fragment ${fragment}`).not.toContain(fragment);
}

describe('redactSecrets', () => {
  it('removes provider key formats, bearer tokens and Discord tokens without being told the values', () => {
    const gemini = 'AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW';
    const groq = 'gsk_9f8e7d6c5b4a39281706f5e4d3c2b1a0ZZyyXX';
    const hf = 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345';
    const discord = 'MTA5ODc2NTQzMjEwOTg3NjU0.GhIjKl.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ab';
    const text = `keys ${gemini}, ${groq}; ${hf} and Authorization: Bearer abc.def-ghi_jkl and Bot ${discord}`;
    const out = redactSecrets(text);
    for (const secret of [gemini, groq, hf, discord, 'abc.def-ghi_jkl']) expectNoFragment(out, secret);
    expect(out).toContain('Bearer [redacted]');
  });

  it('removes key= parameters in any form: query string, URL-encoded, header line, JSON field', () => {
    const value = 'q8Zt3Lm9Xw2Pk7Rs';
    for (const form of [
      `GET /v1/models?key=${value}&alt=json`,
      `https://host.invalid/v1?alt=json&api_key=${value}`,
      `url=%2Fv1%3Fkey%3D${value}%26x%3D1`,
      `x-goog-api-key: ${value}`,
      `{"apiKey":"${value}","model":"m"}`,
      `access_token=${value}`,
      `KEY = ${value}`,
    ]) {
      const out = redactSecrets(form);
      expect(out, form).not.toContain(value);
      expect(out, form).toContain('[redacted]');
    }
  });

  it('removes registered secrets and any fragment of 8 characters or more of them', () => {
    const secret = 'my-own-gateway-secret-4242';
    registerSecrets(secret);
    expect(redactSecrets(`full ${secret} end`)).toBe('full [redacted] end');
    // A provider that echoes only part of the key (masked or cut) still leaks nothing.
    const out = redactSecrets(`key ending in …gateway-secret-4242 or starting my-own-gate…`);
    expect(out).not.toContain('gateway-secret');
    expect(out).not.toContain('my-own-gate');
  });

  it('keeps ordinary prose intact', () => {
    const prose = 'The keeper climbed to the lamp. "Who is there?" she asked. The key turned in the lock.';
    expect(redactSecrets(prose)).toBe(prose);
  });

  it('redacts before cutting: a key straddling the cut leaves no fragment', () => {
    const secret = 'AIzaSyStraddlingTheCut0123456789abcdefg';
    const message = `${'x'.repeat(MAX_FAILURE_MESSAGE - 12)} ${secret} tail`;
    const cut = truncateMessage(message);
    expect(cut.length).toBeLessThanOrEqual(MAX_FAILURE_MESSAGE);
    expectNoFragment(cut, secret);
  });
});

describe('teacher failure messages (real SDKs)', () => {
  const settings = { temperature: 0.5, topP: 0.9, maxTokens: 50 };
  const cases: { provider: string; key: string; padding: number; body: (pad: string, key: string) => unknown; teacher: (key: string, baseUrl: string) => Teacher }[] = [
    {
      provider: 'Groq',
      key: 'gsk_StraddleSecret0123456789abcdefghijklmnopqrstu',
      // "Groq 401 " + padding + " " puts the key across the 300th character.
      padding: 280,
      body: (pad, key) => ({ error: { message: `${pad} ${key} is not a valid key`, type: 'invalid_request_error' } }),
      teacher: (key, baseUrl) => createGroqTeacher({ id: 'g', provider: 'groq', model: 'm', defaults: settings, apiKey: key, baseUrl }),
    },
    {
      provider: 'Gemini',
      key: 'AIzaSyStraddleSecret0123456789abcdefghij',
      // "Gemini 401 UNAUTHENTICATED: " + padding + " " puts the key across the 300th character.
      padding: 260,
      body: (pad, key) => ({ error: { code: 401, status: 'UNAUTHENTICATED', message: `${pad} ${key} rejected` } }),
      teacher: (key, baseUrl) => createGeminiTeacher({ id: 'g', provider: 'gemini', model: 'm', defaults: settings, apiKey: key, baseUrl }),
    },
  ];

  for (const c of cases) {
    it(`${c.provider}: a key echoed across the 300-character cut is redacted, not half-kept`, async () => {
      // A provider that answers 401 with an error text quoting the key right where the old cut fell.
      const server = await startSimulator({ route: () => ({ kind: 'handled', status: 401, body: c.body('x'.repeat(c.padding), c.key) }) });
      try {
        const outcome = await c.teacher(c.key, server.url).generate({ messages: [{ role: 'user', content: 'A story.' }], settings });
        expect(outcome.ok).toBe(false);
        if (outcome.ok) return;
        expect(outcome.failure.kind).toBe('auth');
        expectNoFragment(outcome.failure.message, c.key);
      } finally {
        await server.close();
      }
    });
  }
});

describe('stored run records', () => {
  it('hold no fragment of a key a provider echoed across the cut', async () => {
    const key = 'gsk_StoredSecret0123456789abcdefghijklmnopqrstuv';
    const server = await startSimulator({ route: () => ({ kind: 'handled', status: 401, body: { error: { message: `${'x'.repeat(280)} ${key} is invalid`, type: 'invalid_request_error' } } }) });
    const store = await openStore('memory://');
    try {
      const settings = { temperature: 0.5, topP: 0.9, maxTokens: 50 };
      const teachers = [createGroqTeacher({ id: 'groq-echo', provider: 'groq', model: 'm', defaults: settings, apiKey: key, baseUrl: server.url })];
      const options = { userId: 'u', examples: 2, genres: [], save: false, memory: false, voting: 'consensus' as const };
      const result = await startTraining(options, { teachers, store: store.trainerStore() }).done;
      expect(result.status).toBe('failed');
      const stored = JSON.stringify([await store.runs.get(result.run_id), await store.runs.examples(result.run_id), result]);
      expect(stored).toContain('Groq 401');
      expectNoFragment(stored, key);
    } finally {
      await store.close();
      await server.close();
    }
  });
});
