import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.ts';
import { buildTeachers, connectionsFromConfig, DEFAULT_ROSTER, DEFAULT_TEACHER_CONCURRENCY, loadRoster, missingTeachersMessage, probeOllama } from '../src/teachers/roster.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'zega-roster-'));

describe('roster', () => {
  it('has the product 7 by default: 2 Gemini, 2 Groq, 2 Hugging Face, 1 Ollama, unique ids', () => {
    const count = (p: string) => DEFAULT_ROSTER.filter((e) => e.provider === p).length;
    expect([count('gemini'), count('groq'), count('huggingface'), count('ollama')]).toEqual([2, 2, 2, 1]);
    expect(new Set(DEFAULT_ROSTER.map((e) => e.id)).size).toBe(7);
  });

  it('enables only the configured providers, in roster order', () => {
    const config = loadConfig({ GROQ_API_KEY: 'k1', HF_TOKEN: 'k2' });
    const teachers = buildTeachers(DEFAULT_ROSTER, connectionsFromConfig(config, false));
    expect(teachers.map((t) => t.id)).toEqual(['groq-llama-3.3-70b', 'groq-llama-3.1-8b', 'hf-qwen2.5-7b', 'hf-mistral-7b']);
    const withOllama = buildTeachers(DEFAULT_ROSTER, connectionsFromConfig(config, true));
    expect(withOllama.at(-1)?.id).toBe('ollama-llama3.2');
    expect(buildTeachers(DEFAULT_ROSTER, connectionsFromConfig(loadConfig({ OLLAMA_HOST: 'off' }), true))).toEqual([]);
  });

  it('says what to configure when nothing is enabled', () => {
    expect(missingTeachersMessage(DEFAULT_ROSTER)).toMatch(/gemini: set GEMINI_API_KEY; groq: set GROQ_API_KEY; huggingface: set HF_TOKEN; ollama: run Ollama/);
  });

  it('replaces the roster from TEACHERS_FILE, with defaults for omitted settings', async () => {
    const file = join(tmp(), 'teachers.json');
    writeFileSync(file, JSON.stringify([{ id: 'ollama-mistral', provider: 'ollama', model: 'mistral' }]));
    const roster = await loadRoster(file);
    expect(roster).toEqual([{ id: 'ollama-mistral', provider: 'ollama', model: 'mistral', temperature: 0.9, top_p: 0.95, max_tokens: 600, concurrency: DEFAULT_TEACHER_CONCURRENCY }]);
  });

  it('explains what is wrong with a bad roster file', async () => {
    const dir = tmp();
    await expect(loadRoster(join(dir, 'missing.json'))).rejects.toThrow(/^TEACHERS_FILE .*missing\.json does not exist$/);
    writeFileSync(join(dir, 'bad.json'), '[{');
    await expect(loadRoster(join(dir, 'bad.json'))).rejects.toThrow(/not valid JSON/);
    writeFileSync(join(dir, 'wrong.json'), JSON.stringify([{ id: 'A B', provider: 'openai', model: 'x', temperature: 5 }, { id: 'A B', provider: 'groq', model: 'y' }]));
    const error = await loadRoster(join(dir, 'wrong.json')).catch((e: Error) => e.message);
    expect(error).toMatch(/0\.id: ids are lower-case/);
    expect(error).toMatch(/0\.provider/);
    expect(error).toMatch(/0\.temperature/);
  });

  it('probes Ollama: enabled when it answers, not when the port is closed or the host is off', async () => {
    const server = createServer((_req, res) => res.end('{"version":"0.6.0"}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await probeOllama(url)).toBe(true);
    await new Promise<void>((r) => server.close(() => r()));
    expect(await probeOllama(url, 500)).toBe(false);
    expect(await probeOllama('off')).toBe(false);
  });
});
