/**
 * The whole promise through the real trainer, store and SDKs against the simulators: a user who
 * trains past 50 fine-tuning examples gets a personal model from the round that follows the run
 * that crossed the line (as the bot and the CLI call it after each run), can export the dataset,
 * and /write's logic writes with the model. Also the results embed with the personal-model field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../src/app/runtime.ts';
import { RunManager } from '../src/bot/runManager.ts';
import { resultsMessage } from '../src/discord/embeds/results.ts';
import { limitViolations } from '../src/discord/limits.ts';
import { exportDataset } from '../src/personal/export.ts';
import { personalFor } from '../src/personal/runtime.ts';
import { withFineTuneField } from '../src/discord/embeds/personal.ts';
import { writeStory } from '../src/personal/writer.ts';
import type { RunOptions, TrainingResult } from '../src/trainer/types.ts';
import { startProviderSimulators, type ProviderSimulators } from '../src/simulators/index.ts';

let sims: ProviderSimulators;
let runtime: Runtime;

beforeAll(async () => {
  sims = await startProviderSimulators();
  runtime = await createRuntime({ env: { ...sims.env, STORAGE_URL: 'memory://', LOG_LEVEL: 'silent' }, timeoutMs: 5_000 });
});
afterAll(async () => {
  await runtime?.close();
  await sims.close();
});

function train(manager: RunManager, token: string, options: RunOptions): Promise<TrainingResult> {
  return new Promise((resolve, reject) => {
    manager.submit(token, options, { onFinished: resolve, onError: reject });
  });
}

describe('from training to a personal model', () => {
  it('builds zega-<user>-v1 after the run that crossed 50 examples, exports it, and /write uses it', async () => {
    const userId = '100000000000000001';
    const manager = new RunManager({ teachers: () => runtime.teachers, store: runtime.store.trainerStore(), maxConcurrentRuns: 1, examplesConcurrency: 4 });
    const personal = personalFor(runtime);
    expect(personalFor(runtime)).toBe(personal);
    const options: RunOptions = { userId, examples: 30, genres: [], save: true, memory: true, voting: 'consensus', seed: 'e2e-1' };

    // First run: below 50 fine-tuning examples, no round.
    const first = await train(manager, `${userId}-a`, options);
    expect(first.training_stats.fine_tune_examples_total).toBeLessThan(50);
    const afterFirst = await personal.fineTune.afterRun(userId);
    expect(afterFirst.round).toBeUndefined();
    expect(afterFirst.status).toMatchObject({ rounds: 0, nextAt: 50, untilNext: 50 - first.training_stats.fine_tune_examples_total });
    expect(sims.ollama.createdModels()).toEqual([]);

    // Second run crosses the line: the round after it builds the personal model.
    const second = await train(manager, `${userId}-b`, { ...options, seed: 'e2e-2' });
    expect(second.training_stats.fine_tune_examples_total).toBeGreaterThanOrEqual(50);
    const report = await personal.fineTune.afterRun(userId);
    expect(report.error).toBeUndefined();
    expect(report.round?.build).toMatchObject({ status: 'built', base: 'llama3.2', model: `zega-${userId}-v1`, version: 1 });
    expect(report.status).toMatchObject({ rounds: 1, model: { model: `zega-${userId}-v1`, version: 1 }, nextAt: 100 });
    const created = sims.ollama.createdModels();
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ model: `zega-${userId}-v1`, from: 'llama3.2' });
    expect(created[0]!.messages!.length).toBeGreaterThan(0);
    expect(created[0]!.parameters).toEqual({
      temperature: report.round!.bestParams.overall!.generation_params.temperature,
      top_p: report.round!.bestParams.overall!.generation_params.top_p,
      num_predict: report.round!.bestParams.overall!.generation_params.max_tokens,
      num_ctx: 8192,
    });
    // A best_model is a teacher of the roster.
    expect(runtime.teachers.map((t) => t.id)).toContain(report.round!.bestParams.overall!.best_model);

    // The results message carries the round, within Discord's limits.
    const results = withFineTuneField(
      resultsMessage({ ownerId: userId, runToken: `${userId}-b`, result: second, teachers: runtime.teachers, fineTuneTotal: second.training_stats.fine_tune_examples_total }),
      report,
    );
    const field = results.embeds[0]!.fields!.at(-1)!;
    expect(field.name).toBe('🧠 Personal model');
    expect(field.value).toContain(`Round 1 built your personal model \`zega-${userId}-v1\``);
    expect(field.value).toContain('1 round done · model version **1**');
    expect(limitViolations(results)).toEqual([]);

    // The dataset exports, one SFT line per example.
    const sft = await exportDataset(runtime.store.fineTune, userId, 'sft');
    expect(sft.lines).toBe(second.training_stats.fine_tune_examples_total);
    const dpo = await exportDataset(runtime.store.fineTune, userId, 'dpo');
    expect(dpo.lines).toBe(report.round!.dataset.preferencePairs);

    // /write goes to the personal model, with memory.
    const written = await writeStory({ userId, prompt: 'A lighthouse keeper hears a bell under the sea' }, personal.writer);
    expect(written.ok && written.result.author).toEqual({ kind: 'personal', model: `zega-${userId}-v1`, version: 1 });
    expect(written.ok && written.result.styleSources.length).toBeGreaterThan(0);
    const chat = sims.ollama.requests.filter((r) => r.path === '/api/chat').at(-1)!;
    expect((chat.body as { model: string }).model).toBe(`zega-${userId}-v1`);
  });
});
