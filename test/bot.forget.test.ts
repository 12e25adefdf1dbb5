/**
 * /forget end to end: the real discord.js client against the loopback Discord, the Ollama
 * simulator holding the user's personal model. Asks first, privately; only the user can confirm;
 * Keep keeps; Erase removes every row about the user and their personal model, says what went,
 * and leaves other users alone.
 */
import { describe, expect, it } from 'vitest';
import type { Runtime } from '../src/app/runtime.ts';
import { forget } from '../src/commands/forget.ts';
import { customId } from '../src/discord/customId.ts';
import { personalFor } from '../src/personal/runtime.ts';
import { storySystemPrompt } from '../src/trainer/systemPrompt.ts';
import { slashCommand } from './discord/payloads.ts';
import { expectQuiet, useBotsOnSharedProviders } from './helpers/botHarness.ts';

const bots = useBotsOnSharedProviders({ timeoutMs: 5_000, commands: [forget] });

async function learn(runtime: Runtime, userId: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await runtime.store.fineTune.add({
      userId,
      runId: `run-${userId}`,
      index: i,
      system: storySystemPrompt('Horror'),
      prompt: `Prompt ${i}`,
      story: `Story ${i}. The lamp turned in the silent fog. "Who keeps it now?" asked the child.`,
      quality: 8,
      textQuality: 8.6,
      genre: 'Horror',
      teacherId: 'groq-llama-3.3-70b',
      settings: { temperature: 0.7, topP: 0.9, maxTokens: 500 },
      rejected: [{ teacherId: 'hf-mistral-7b', text: `Loser ${i}.`, textQuality: 7 }],
    });
  }
  await runtime.store.stories.save({
    userId,
    genre: 'Horror',
    prompt: 'A lamp in the fog',
    style: '',
    text: 'The lamp turned in the silent fog.',
    finalQuality: 8.5,
    textQuality: 8.5,
    confidence: 0.5,
    winner: { teacherId: 'groq-llama-3.3-70b', settings: { temperature: 0.7, topP: 0.9, maxTokens: 500 } },
    runId: `run-${userId}`,
  });
}

describe('/forget', () => {
  it('asks first, only the user can confirm, then erases their data and personal model and says what went', async () => {
    const h = await bots.start();
    const { sim, runtime, alice } = h;
    const bob = sim.users.bob.id;
    await learn(runtime, alice, 50);
    await learn(runtime, bob, 2);
    await personalFor(runtime).fineTune.maybeRunRound(alice);
    const model = `zega-${alice}-v1`;
    expect(bots.sims.ollama.models()).toContain(`${model}:latest`);

    const ask = sim.sendInteraction(slashCommand({ name: 'forget' }));
    const question = await ask.waitForOriginal();
    expect(question.ephemeral).toBe(true);
    expect(question.content).toMatch(/Erase everything Zega keeps about you\?/);

    const keep = ask.click(customId('forget', 'no', alice));
    expect((await keep.waitForOriginal((m) => m.editCount > 0)).content).toMatch(/^Kept/);
    expect(await runtime.store.fineTune.count(alice)).toBe(50);

    const again = sim.sendInteraction(slashCommand({ name: 'forget' }));
    await again.waitForOriginal();
    const bobPress = again.click(customId('forget', 'yes', alice), sim.users.bob);
    expect((await bobPress.waitForOriginal()).content).toMatch(/Only the person who started this/);
    expect(await runtime.store.fineTune.count(alice)).toBe(50);

    const confirm = again.click(customId('forget', 'yes', alice));
    const done = await confirm.waitForOriginal((m) => m.editCount > 0 && m.content.startsWith('**Erased'));
    expect(done.content).toMatch(/1 story/);
    expect(done.content).toMatch(/50 fine-tuning examples/);
    expect(done.content).toMatch(/1 fine-tune round/);
    expect(done.content).toContain(`personal model removed from Ollama: ${model}`);
    expect(done.components).toEqual([]);
    expect(bots.sims.ollama.models()).not.toContain(`${model}:latest`);
    expect(await runtime.store.fineTune.count(alice)).toBe(0);
    expect(await runtime.store.stories.count(alice)).toBe(0);
    expect(await runtime.store.fineTune.rounds(alice)).toEqual([]);
    // Bob keeps everything.
    expect(await runtime.store.fineTune.count(bob)).toBe(2);
    expect(await runtime.store.stories.count(bob)).toBe(1);
    expectQuiet(h, { rateLimits: false, messageWrites: false });
  });
});
