/**
 * /finetune end to end: the real discord.js client against the loopback Discord, the store in
 * memory, the Ollama simulator for the personal model. Status before and after a round, with and
 * without Ollama; export in the three formats, line by line; the size limit; nothing to export.
 */
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../src/app/runtime.ts';
import { finetune } from '../src/commands/finetune.ts';
import { write } from '../src/commands/write.ts';
import { limitViolations } from '../src/discord/limits.ts';
import { personalFor } from '../src/personal/runtime.ts';
import type { Genre } from '../src/trainer/genres.ts';
import { storySystemPrompt } from '../src/trainer/systemPrompt.ts';
import { slashCommand } from './discord/payloads.ts';
import type { DiscordSimulatorOptions, SimMessage } from './discord/types.ts';
import { expectQuiet as expectQuietHarness, useBotsOnSharedProviders, type BotHarness } from './helpers/botHarness.ts';

const bots = useBotsOnSharedProviders({ timeoutMs: 5_000, commands: [write, finetune] });
const setup = (env: Record<string, string> = {}, discord: DiscordSimulatorOptions = {}) => bots.start({ env, discord });

/** No violation, nothing logged, and the bot's messages carry empty `allowed_mentions`. */
const expectQuiet = (h: Pick<BotHarness, 'sim' | 'logs'>) => expectQuietHarness(h, { rateLimits: false, messageWrites: false });

type Embed = { title?: string; description?: string; fields?: { name: string; value: string }[] };
const field = (message: SimMessage, name: string) => (message.embeds as Embed[]).flatMap((e) => e.fields ?? []).find((f) => f.name === name)?.value ?? '';

const GENRES: Genre[] = ['Horror', 'Comedy'];

async function addExamples(runtime: Runtime, userId: string, count: number, from = 0): Promise<void> {
  for (let i = from; i < from + count; i++) {
    const genre = GENRES[i % 2] as Genre;
    await runtime.store.fineTune.add({
      userId,
      runId: 'run-1',
      index: i,
      system: storySystemPrompt(genre),
      prompt: `Prompt ${i}`,
      story: `Story ${i}. The lamp turned in the silent fog. "Who keeps it now?" asked the child.`,
      quality: 8,
      textQuality: 8.6,
      storyQuality: 6.6,
      genre,
      teacherId: 'groq-llama-3.3-70b',
      settings: { temperature: 0.7, topP: 0.9, maxTokens: 500 },
      // Even examples have a clearly worse candidate by story score (pairs compare story scores); odd ones only a close one.
      rejected: [{ teacherId: 'hf-mistral-7b', text: `Loser ${i}.`, textQuality: i % 2 === 0 ? 7.6 : 8.4, storyQuality: i % 2 === 0 ? 5.6 : 6.4 }],
    });
  }
}

function lines(message: SimMessage): Record<string, unknown>[] {
  return (message.attachments[0]?.data.toString() ?? '').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('/finetune status', () => {
  it('shows the countdown before any round, then the round, the model version and the best parameters', async () => {
    const h = await setup();
    const { sim, runtime, alice } = h;
    const empty = await sim.sendInteraction(slashCommand({ name: 'finetune', subcommand: 'status' })).waitForOriginal();
    expect(empty.ephemeral).toBe(true);
    expect(field(empty, 'Next round')).toBe('Next round in **50 examples** (at 50).');
    expect(field(empty, 'Rounds done')).toBe('0');
    expect(field(empty, 'Personal model')).toBe('None yet: your first round comes at 50 fine-tuning examples.');

    await addExamples(runtime, alice, 50);
    const due = await sim.sendInteraction(slashCommand({ name: 'finetune', subcommand: 'status' })).waitForOriginal();
    expect(field(due, 'Next round')).toMatch(/^A round is due now/);

    await personalFor(runtime).fineTune.maybeRunRound(alice);
    await addExamples(runtime, alice, 12, 50);
    const after = await sim.sendInteraction(slashCommand({ name: 'finetune', subcommand: 'status' })).waitForOriginal();
    expect(field(after, 'Fine-tuning examples')).toBe('62 collected (final quality ≥ 7.0)');
    expect(field(after, 'Rounds done')).toMatch(/^1 · last <t:\d+:R>$/);
    expect(field(after, 'Next round')).toBe('Next round in **38 examples** (at 100).');
    expect(field(after, 'Personal model')).toMatch(new RegExp(`^\`zega-${alice}-v1\` — version 1 · base llama3\\.2 · \\d+ few-shot examples · built <t:\\d+:R>$`));
    expect(field(after, 'Best parameters')).toBe('**groq-llama-3.3-70b** · temperature 0.7 · top-p 0.9 · max 500 tokens · avg 8.00 over 50 wins · confidence 0.66');
    expect(field(after, 'Best per genre (top 5)')).toContain('Horror: **groq-llama-3.3-70b** · temperature 0.7');
    expect(field(after, 'Dataset')).toContain('25 DPO preference pairs');
    expect(limitViolations({ embeds: after.embeds })).toEqual([]);
    expectQuiet(h);
  });

  it('says how to enable the build when Ollama is off', async () => {
    const h = await setup({ OLLAMA_HOST: 'off' });
    await addExamples(h.runtime, h.alice, 50);
    const report = await personalFor(h.runtime).fineTune.afterRun(h.alice);
    expect(report.round?.build.status).toBe('skipped');
    const shown = await h.sim.sendInteraction(slashCommand({ name: 'finetune', subcommand: 'status' })).waitForOriginal();
    expect(field(shown, 'Personal model')).toBe(
      'Not built yet. Ollama is turned off (OLLAMA_HOST=off). Run Ollama, `ollama pull llama3.2`, and set OLLAMA_HOST to its address; the next round builds the personal model.',
    );
    expect(field(shown, 'Best parameters')).toContain('groq-llama-3.3-70b');
    expect(bots.sims.ollama.createdModels()).toEqual([]);
    expectQuiet(h);
  });
});

describe('/finetune export', () => {
  it('attaches SFT chat lines by default, Alpaca and DPO on request, each line as common trainers read it', async () => {
    const h = await setup();
    const { sim, runtime, alice } = h;
    await addExamples(runtime, alice, 6);
    await addExamples(runtime, sim.users.bob.id, 3);

    const sft = await sim.sendInteraction(slashCommand({ name: 'finetune', subcommand: 'export' })).waitForOriginal();
    expect(sft.ephemeral).toBe(true);
    expect(sft.attachments[0]?.filename).toMatch(/^zega-sft-\d{4}-\d{2}-\d{2}\.jsonl$/);
    expect(sft.content).toMatch(/^Your dataset: 6 examples, as chat-format SFT lines/);
    const sftLines = lines(sft);
    expect(sftLines).toHaveLength(6);
    sftLines.forEach((line, i) => {
      expect(line).toEqual({
        messages: [
          { role: 'system', content: storySystemPrompt(GENRES[i % 2]!) },
          { role: 'user', content: `Prompt ${i}` },
          { role: 'assistant', content: `Story ${i}. The lamp turned in the silent fog. "Who keeps it now?" asked the child.` },
        ],
        metadata: expect.objectContaining({ quality: 8, genre: GENRES[i % 2], model: 'groq-llama-3.3-70b', example_index: i }) as unknown,
      });
    });

    const alpaca = await sim.sendInteraction(slashCommand({ name: 'finetune', subcommand: 'export', options: { format: 'alpaca' } })).waitForOriginal();
    expect(lines(alpaca).map((l) => [l.input, Object.keys(l).join(',')])).toEqual(
      Array.from({ length: 6 }, (_, i) => [`Prompt ${i}`, 'instruction,input,output,metadata']),
    );

    const dpo = await sim.sendInteraction(slashCommand({ name: 'finetune', subcommand: 'export', options: { format: 'dpo' } })).waitForOriginal();
    expect(dpo.content).toMatch(/^Your dataset: 3 preference pairs from 6 examples/);
    expect(lines(dpo).map((l) => [(l.rejected as { content: string }[])[0]!.content, (l.metadata as { rejected_model: string; margin: number }).margin])).toEqual([
      ['Loser 0.', 1],
      ['Loser 2.', 1],
      ['Loser 4.', 1],
    ]);
    expectQuiet(h);
  });

  it('with QUALITY_SCORE=story, names the story score as the threshold, in the status and the empty export', async () => {
    const h = await setup({ QUALITY_SCORE: 'story' });
    const { sim, runtime, alice } = h;
    const none = await sim.sendInteraction(slashCommand({ name: 'finetune', subcommand: 'export' })).waitForOriginal();
    expect(none.content).toBe('You have no fine-tuning examples yet: every example with story score ≥ 7.0 joins your dataset. Train with `/autotrain start`.');
    await addExamples(runtime, alice, 3);
    const status = await sim.sendInteraction(slashCommand({ name: 'finetune', subcommand: 'status' })).waitForOriginal();
    expect(field(status, 'Fine-tuning examples')).toBe('3 collected (story score ≥ 7.0)');
    expectQuiet(h);
  });

  it('explains an empty dataset, a dataset without pairs, and one too large to attach', async () => {
    const h = await setup({}, { attachmentSizeLimit: 2000 });
    const { sim, runtime, alice } = h;
    const none = await sim.sendInteraction(slashCommand({ name: 'finetune', subcommand: 'export' })).waitForOriginal();
    expect(none.content).toMatch(/^You have no fine-tuning examples yet/);

    await addExamples(runtime, alice, 1, 1);
    const noPairs = await sim.sendInteraction(slashCommand({ name: 'finetune', subcommand: 'export', options: { format: 'dpo' } })).waitForOriginal();
    expect(noPairs.content).toMatch(/^None of your 1 example gives a preference pair yet/);
    expect(noPairs.attachments).toEqual([]);

    await addExamples(runtime, alice, 10, 2);
    const big = await sim.sendInteraction(slashCommand({ name: 'finetune', subcommand: 'export' })).waitForOriginal();
    expect(big.attachments).toEqual([]);
    expect(big.content).toContain(`npm run --silent cli -- dataset export --user ${alice} --format sft`);
    expectQuiet(h);
  });
});
