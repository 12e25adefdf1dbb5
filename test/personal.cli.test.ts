/** `cli dataset …` in-process over a sqlite store: export in three formats, status, modelfile, round. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/index.ts';
import type { CliIo } from '../src/cli/io.ts';
import { openStore } from '../src/storage/index.ts';
import { storySystemPrompt } from '../src/trainer/systemPrompt.ts';
import { startOllamaSimulator, type OllamaSimulatorHandle } from '../src/simulators/ollama.ts';

let dbUrl: string;
let ollama: OllamaSimulatorHandle;

beforeAll(async () => {
  ollama = await startOllamaSimulator();
  dbUrl = `sqlite://${join(mkdtempSync(join(tmpdir(), 'zega-dataset-')), 'zega.sqlite')}`;
  const store = await openStore(dbUrl);
  for (let i = 0; i < 4; i++) {
    await store.fineTune.add({
      userId: 'alice',
      runId: 'run-1',
      index: i,
      system: storySystemPrompt('Mystery'),
      prompt: `Prompt ${i}`,
      story: `Story ${i}. The clock stopped at midnight. "Who wound it?" asked the detective.`,
      quality: 7 + i / 2,
      textQuality: 8.8,
      storyQuality: 6.8,
      genre: 'Mystery',
      teacherId: 'gemini-2.5-flash',
      settings: { temperature: 0.8, topP: 0.95, maxTokens: 600 },
      rejected: i === 0 ? [] : [{ teacherId: 'hf-qwen2.5-7b', text: `Loser ${i}.`, textQuality: 8.8, storyQuality: 6.8 - i / 4 }],
    });
  }
  await store.close();
});
afterAll(() => ollama.close());

async function cli(args: string[], env: Record<string, string> = {}) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = { out: (l) => stdout.push(l), error: (l) => stderr.push(l) };
  const code = await runCli(args, io, { STORAGE_URL: dbUrl, OLLAMA_HOST: 'off', ...env });
  return { code, out: stdout.join('\n'), err: stderr.join('\n') };
}

const parse = (out: string) => out.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('cli dataset export', () => {
  it('writes SFT lines by default and Alpaca on request, one per example', async () => {
    const sft = await cli(['dataset', 'export', '--user', 'alice']);
    expect(sft.code).toBe(0);
    const rows = parse(sft.out);
    expect(rows).toHaveLength(4);
    expect(rows.map((r) => (r.messages as { role: string }[]).map((m) => m.role))).toEqual(Array(4).fill(['system', 'user', 'assistant']));
    expect(rows.map((r) => (r.metadata as { quality: number }).quality)).toEqual([7, 7.5, 8, 8.5]);
    const alpaca = await cli(['dataset', 'export', '--user', 'alice', '--format', 'alpaca', '--min-quality', '8']);
    expect(parse(alpaca.out).map((r) => r.input)).toEqual(['Prompt 2', 'Prompt 3']);
  });

  it('writes DPO pairs with the margin rule, configurable', async () => {
    const dpo = await cli(['dataset', 'export', '--user', 'alice', '--format', 'dpo']);
    expect(dpo.code).toBe(0);
    // Losers sit 0.25, 0.5 and 0.75 below the winner by story score (their text quality ties): two clear at 0.5.
    expect(parse(dpo.out).map((r) => (r.metadata as { rejected_score: number }).rejected_score)).toEqual([6.3, 6.05]);
    const wide = await cli(['dataset', 'export', '--user', 'alice', '--format', 'dpo', '--margin', '0.7']);
    expect(parse(wide.out)).toHaveLength(1);
    const none = await cli(['dataset', 'export', '--user', 'alice', '--format', 'dpo', '--margin', '5']);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/no preference pair/);
  });

  it('names bad input', async () => {
    expect((await cli(['dataset', 'export', '--user', 'alice', '--format', 'csv'])).err).toMatch(/--format must be sft, alpaca, dpo/);
    expect((await cli(['dataset', 'export', '--user', 'alice', '--margin', 'x'])).code).toBe(2);
    expect((await cli(['dataset', 'export'])).err).toMatch(/--user ID is required/);
    expect((await cli(['dataset', 'export', '--user', 'nobody'])).err).toMatch(/user nobody has no fine-tuning examples/);
    expect((await cli(['dataset', 'frobnicate'])).err).toMatch(/dataset export --user ID/);
  });

  it('names the score that decides what is collected (QUALITY_SCORE)', async () => {
    expect((await cli(['dataset', 'export', '--user', 'nobody'])).err).toBe('zega: user nobody has no fine-tuning examples yet (examples with final quality ≥ 7.0 are collected)');
    expect((await cli(['dataset', 'export', '--user', 'nobody'], { QUALITY_SCORE: 'story' })).err).toBe(
      'zega: user nobody has no fine-tuning examples yet (examples with story score ≥ 7.0 are collected)',
    );
  });
});

describe('cli dataset status, modelfile and round', () => {
  it('prints the Modelfile the next round would create, the status, and runs a round on demand', async () => {
    const modelfile = await cli(['dataset', 'modelfile', '--user', 'alice'], { PERSONAL_BASE_MODEL: 'llama3.2' });
    expect(modelfile.code).toBe(0);
    expect(modelfile.out.split('\n')[0]).toBe('FROM llama3.2');
    expect(modelfile.out).toContain('PARAMETER num_ctx 8192');
    expect(modelfile.out).toContain('MESSAGE assistant """Story 3.');

    const before = await cli(['dataset', 'status', '--user', 'alice', '--json']);
    expect(JSON.parse(before.out)).toMatchObject({ examples: 4, rounds: 0, untilNext: 46, due: false });

    const skipped = await cli(['dataset', 'round', '--user', 'alice']);
    expect(skipped.code).toBe(0);
    expect(skipped.out).toMatch(/^Fine-tune round 1 at 4 examples · no personal model built: Ollama is turned off/);

    const built = await cli(['dataset', 'round', '--user', 'alice', '--json'], { OLLAMA_HOST: ollama.url });
    expect(JSON.parse(built.out)).toMatchObject({ round: 2, trigger: 'manual', build: { status: 'built', model: 'zega-alice-v1' } });
    expect(ollama.createdModels().map((c) => c.model)).toEqual(['zega-alice-v1']);

    const status = await cli(['dataset', 'status', '--user', 'alice']);
    expect(status.out).toContain('rounds done: 2');
    expect(status.out).toContain('Personal model: zega-alice-v1 (version 1, base llama3.2)');
  });
});
