/**
 * /write end to end: the real discord.js client (createBot) against the loopback Discord, the real
 * SDKs against the provider simulators, an in-memory store. The personal model with memory style
 * examples, Save (owner only) and Regenerate, the teacher fallback, and no model at all.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storyQuality } from '../src/trainer/storyScore.ts';
import { REST, Routes } from 'discord.js';
import { describe, expect, it, vi } from 'vitest';
import type { Runtime } from '../src/app/runtime.ts';
import { finetune } from '../src/commands/finetune.ts';
import { clearDrafts, DRAFT_TTL_MS, EXPIRED, write } from '../src/commands/write.ts';
import { customId } from '../src/discord/customId.ts';
import { limitViolations } from '../src/discord/limits.ts';
import { personalFor } from '../src/personal/runtime.ts';
import type { Genre } from '../src/trainer/genres.ts';
import { storySystemPrompt } from '../src/trainer/systemPrompt.ts';
import { stateKeys } from '../src/storage/state.ts';
import { button, slashCommand } from './discord/payloads.ts';
import type { SimMessage } from './discord/types.ts';
import { expectQuiet as expectQuietHarness, useBotsOnSharedProviders, type BotHarness } from './helpers/botHarness.ts';

const bots = useBotsOnSharedProviders({ timeoutMs: 5_000, commands: [write, finetune] }, clearDrafts);
const setup = (env: Record<string, string> = {}) => bots.start({ env });

/** No violation, nothing logged, and the bot's messages carry empty `allowed_mentions`. */
const expectQuiet = (h: Pick<BotHarness, 'sim' | 'logs'>) => expectQuietHarness(h, { rateLimits: false, messageWrites: false });

type Embed = { title?: string; description?: string; fields?: { name: string; value: string }[]; footer?: { text: string } };
type Row = { components: { custom_id: string; label: string; disabled?: boolean }[] };

const field = (message: SimMessage, name: string) => (message.embeds as Embed[]).flatMap((e) => e.fields ?? []).find((f) => f.name === name)?.value ?? '';
const buttons = (message: SimMessage) => (message.components as Row[]).flatMap((r) => r.components);
const storyText = (message: SimMessage) => (message.embeds as Embed[]).map((e) => e.description ?? '').join('\n');

async function trainedUser(runtime: Runtime, userId: string, genre: Genre = 'Horror', maxTokens = 500): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await runtime.store.fineTune.add({
      userId,
      runId: 'run-1',
      index: i,
      system: storySystemPrompt(genre),
      prompt: `A haunted lighthouse, take ${i}.`,
      story: `Story ${i}. The lamp turned in the silent fog. "Who keeps it now?" asked the child.`,
      quality: 8,
      textQuality: 8.6,
      genre,
      teacherId: 'groq-llama-3.3-70b',
      settings: { temperature: 0.7, topP: 0.9, maxTokens },
      rejected: [],
    });
  }
  const round = await personalFor(runtime).fineTune.maybeRunRound(userId);
  expect(round?.build.status).toBe('built');
  await runtime.store.memory.add({
    userId,
    runId: 'run-1',
    genre: 'Horror',
    prompt: 'A lighthouse in the fog',
    text: 'The lighthouse keeper counted the ships by their lamps. "Seven tonight," she whispered.',
    quality: 8.9,
    teacherId: 'groq-llama-3.3-70b',
  });
  await runtime.store.memory.add({ userId, runId: 'run-1', genre: 'Comedy', prompt: 'A bakery at dawn', text: 'The baker folded cardamom into the dough.', quality: 8.1, teacherId: 'gemini-2.5-flash' });
}

describe('/write end to end', () => {
  it('registers valid command definitions', async () => {
    const { sim, logs } = await setup();
    await new REST({ api: sim.restApi }).setToken(sim.token).put(Routes.applicationCommands(sim.applicationId), { body: [write.data, finetune.data] });
    expect(sim.commands().map((c) => c.name).sort()).toEqual(['finetune', 'write']);
    expectQuiet({ sim, logs });
  });

  it('writes with the personal model and memory; only the owner can Save; Save keeps it in the library; Regenerate writes another', async () => {
    const h = await setup();
    const { sim, runtime, alice } = h;
    await trainedUser(runtime, alice);
    const model = `zega-${alice}-v1`;
    let take = 0;
    bots.sims.ollama.setBehavior(model, { text: () => `Take ${++take}: the lighthouse kept its secret under the silent golden fog. "Listen," said the keeper. Nobody did.` });

    const cmd = sim.sendInteraction(slashCommand({ name: 'write', options: { prompt: 'A lighthouse that keeps a secret', genre: 'Horror' } }));
    const shown = await cmd.waitForOriginal();
    expect(shown.ephemeral).toBe(false);
    expect(storyText(shown)).toContain('Take 1: the lighthouse kept its secret');
    expect(field(shown, 'Written by')).toBe(`Your personal model \`${model}\``);
    expect(field(shown, 'Genre')).toBe('Horror');
    // Only the relevant memory story (BM25): the bakery one does not match the prompt.
    expect(field(shown, 'Style examples')).toBe('1 story from your memory:\n1. Horror · 8.90 — A lighthouse in the fog');
    expect(field(shown, 'Settings')).toBe('temperature 0.7 · top-p 0.9 · max 500 tokens');
    const shownStory = `Take 1: the lighthouse kept its secret under the silent golden fog. "Listen," said the keeper. Nobody did.`;
    expect(field(shown, 'Story score')).toBe(storyQuality(shownStory, { prompt: 'A lighthouse that keeps a secret' }).toFixed(2));
    expect(limitViolations({ content: shown.content, embeds: shown.embeds, components: shown.components as never })).toEqual([]);
    const [saveButton, regenButton] = buttons(shown);
    expect(saveButton?.label).toBe('Save');
    expect(regenButton?.label).toBe('Regenerate');
    expect(saveButton?.custom_id).toMatch(new RegExp(`^zega:write:save:${alice}-[A-Za-z0-9_-]+$`));

    // The personal model got the request with the memory stories, and no system turn of ours.
    const chat = bots.sims.ollama.requests.filter((r) => r.path === '/api/chat').at(-1)!;
    const body = chat.body as { model: string; messages: { role: string; content: string }[] };
    expect(body.model).toBe(model);
    expect(body.messages.map((m) => m.role)).toEqual(['user']);
    expect(body.messages[0]!.content).toContain('Seven tonight');
    expect(body.messages[0]!.content).not.toContain('cardamom');
    expect(body.messages[0]!.content).toMatch(/Genre: Horror\n\nRequest: A lighthouse that keeps a secret$/);

    // Bob cannot press Alice's buttons.
    const refused = await cmd.click(saveButton!.custom_id, sim.users.bob).waitForOriginal();
    expect(refused.ephemeral).toBe(true);
    expect(refused.content).toMatch(/Only the person who started this/);
    expect(await runtime.store.stories.count(alice)).toBe(0);

    const save = cmd.click(saveButton!.custom_id);
    const [note] = await save.waitForFollowUps(1);
    expect(note?.ephemeral).toBe(true);
    expect(note?.content).toMatch(/^Saved to your library as \*\*.+\*\*\. See it with `\/stories view`\.$/);
    const page = await runtime.store.stories.list({ userId: alice });
    expect(page.total).toBe(1);
    const story = (await runtime.store.stories.get(alice, page.items[0]!.id))!;
    expect(story.text).toContain('Take 1:');
    expect(story).toMatchObject({ genre: 'Horror', prompt: 'A lighthouse that keeps a secret', runId: 'write', winner: { teacherId: `personal:${model}`, settings: { temperature: 0.7, topP: 0.9, maxTokens: 500 } } });
    expect(story.finalQuality).toBe(story.textQuality);
    expect(story.storyQuality).toBe(storyQuality(story.text, { prompt: 'A lighthouse that keeps a secret' }));
    // A personal model is nobody's leaderboard entry.
    expect((await runtime.store.stats.leaderboard({ scope: 'global' })).map((r) => r.teacherId)).not.toContain(`personal:${model}`);
    const saved = await cmd.waitForOriginal((m) => buttons(m)[0]?.label === 'Saved');
    expect(buttons(saved)[0]?.disabled).toBe(true);
    // A Save press that raced the update (the button is disabled now) changes nothing.
    const again = await sim.sendInteraction(button({ customId: saveButton!.custom_id })).waitForOriginal();
    expect(again.content).toMatch(/^Already saved as/);
    expect(await runtime.store.stories.count(alice)).toBe(1);

    const regen = cmd.click(regenButton!.custom_id);
    const rewritten = await regen.waitForOriginal((m) => storyText(m).includes('Take 2:'));
    expect(rewritten.id).toBe(shown.id);
    expect(buttons(rewritten).map((b) => [b.label, b.disabled ?? false])).toEqual([
      ['Save', false],
      ['Regenerate', false],
    ]);
    expect((rewritten.embeds as Embed[]).at(-1)?.footer?.text).toMatch(/take 2$/);
    expectQuiet(h);
  });

  it('attaches a story too long for the embeds, and Regenerate replaces the attachment', async () => {
    const h = await setup();
    const { sim, runtime, alice } = h;
    // Room for a long answer (the simulator, like Ollama, stops at num_predict).
    await trainedUser(runtime, alice, 'Horror', 4000);
    const long = 'The tide rose over the causeway while the village slept and the bells rang under the water. '.repeat(90).trim();
    let take = 0;
    bots.sims.ollama.setBehavior(`zega-${alice}-v1`, { text: () => (++take === 1 ? long : 'A short second take. It fits. "Good," said the keeper.') });
    const cmd = sim.sendInteraction(slashCommand({ name: 'write', options: { prompt: 'The drowned bells' } }));
    const shown = await cmd.waitForOriginal();
    expect(shown.attachments.map((a) => a.filename)).toEqual(['story.md']);
    expect(shown.attachments[0]?.data.toString()).toContain(long);
    expect(storyText(shown)).toMatch(/The full story \(\d+ words\) is attached/);
    expect(limitViolations({ embeds: shown.embeds, components: shown.components as never })).toEqual([]);
    // No genre given: the best memory hit's genre.
    expect(field(shown, 'Genre')).toBe('Horror');

    const regen = cmd.click(buttons(shown)[1]!.custom_id);
    const rewritten = await regen.waitForOriginal((m) => storyText(m).includes('A short second take'));
    expect(rewritten.attachments).toEqual([]);
    expectQuiet(h);
  });

  it('without a personal model writes with the teacher that wins most in the genre; with none at all it says what to do', async () => {
    const h = await setup();
    const { sim, runtime, alice } = h;
    for (let i = 0; i < 3; i++) {
      await runtime.store.stats.recordExample({ userId: alice, genre: 'Western', status: 'ok', outcomes: [], winner: { teacherId: 'groq-llama-3.1-8b', finalQuality: 8.4, settings: { temperature: 1, topP: 0.9, maxTokens: 400 } } });
    }
    bots.sims.groq.setBehavior('llama-3.1-8b-instant', { text: 'Dust rose over the empty town, and the sheriff waited.' });
    const shown = await sim.sendInteraction(slashCommand({ name: 'write', options: { prompt: 'A duel nobody came to', genre: 'Western' } })).waitForOriginal();
    expect(storyText(shown)).toBe('Dust rose over the empty town, and the sheriff waited.');
    expect(field(shown, 'Written by')).toBe('**groq-llama-3.1-8b** (wins most for you in Western)');
    expect(field(shown, 'Style examples')).toMatch(/^None yet/);
    expect(field(shown, 'Settings')).toBe('temperature 1 · top-p 0.9 · max 400 tokens');
    expectQuiet(h);
  });

  it('says so when no model can write', async () => {
    const h = await setup({ OLLAMA_HOST: 'off', GEMINI_API_KEY: '', GROQ_API_KEY: '', HF_TOKEN: '' });
    expect(h.runtime.teachers).toEqual([]);
    const cmd = h.sim.sendInteraction(slashCommand({ name: 'write', options: { prompt: 'Anything at all' } }));
    const [shown] = await cmd.waitForFollowUps(1);
    expect(shown?.ephemeral).toBe(true);
    expect(shown?.content).toMatch(/No model can write right now/);
    expect(shown?.embeds).toEqual([]);
    // Buttons of a draft the store does not hold (expired) say so.
    const stale = await h.sim.sendInteraction(button({ customId: customId('write', 'save', `${h.alice}-gone`) })).waitForOriginal();
    expect(stale.ephemeral).toBe(true);
    expect(stale.content).toMatch(/has expired/);
    expectQuiet(h);
  });

  it("tells a failure privately and in friendly words, with the provider's text (and key) only in the log", async () => {
    const h = await setup({ OLLAMA_HOST: 'off', GROQ_API_KEY: '', HF_TOKEN: '' });
    const key = bots.sims.env.GEMINI_API_KEY as string;
    // Both Gemini teachers refuse the key, echoing it as a provider might; /write tries them in turn.
    bots.sims.gemini.injectFault('*', 'unauthorized', 10);
    const cmd = h.sim.sendInteraction(slashCommand({ name: 'write', options: { prompt: 'A lighthouse keeper' } }));
    const [reply] = await cmd.waitForFollowUps(1);
    expect(reply?.ephemeral).toBe(true);
    expect(reply?.content).toBe('No model could write it this time: `gemini-2.5-flash` refused the key — tell the bot’s owner; `gemini-2.5-flash-lite` refused the key — tell the bot’s owner.');
    // Nothing public is left: the deferred "thinking…" message is gone.
    expect(h.sim.messages().filter((m) => !m.deleted && !m.ephemeral)).toEqual([]);
    expect(JSON.stringify(h.sim.messages())).not.toMatch(/UNAUTHENTICATED|API key/);
    const logged = h.logs.map((l) => JSON.parse(l) as { msg: string; problems?: string[] });
    expect(logged.map((l) => l.msg)).toEqual(['/write: no model could write']);
    expect(logged[0]?.problems?.[0]).toMatch(/^gemini-2.5-flash: auth: Gemini 401/);
    expect(JSON.stringify(h.logs)).not.toContain(key);
  });

  it('logs a storage error and says so privately, instead of writing as if the memory were empty', async () => {
    const h = await setup();
    h.runtime.store.memory.search = () => Promise.reject(new Error('SQLITE_IOERR: disk I/O error'));
    const cmd = h.sim.sendInteraction(slashCommand({ name: 'write', options: { prompt: 'A lighthouse keeper' } }));
    const [reply] = await cmd.waitForFollowUps(1);
    expect(reply?.ephemeral).toBe(true);
    expect(reply?.content).toMatch(/storage problem on my side/);
    const logged = h.logs.map((l) => JSON.parse(l) as { msg: string; err?: { message: string } });
    expect(logged).toMatchObject([{ msg: '/write: storage error', err: { message: 'SQLITE_IOERR: disk I/O error' } }]);
    // No model was asked: nothing was written on top of a memory that could not be read.
    expect(bots.sims.all().flatMap((s) => s.requests).filter((r) => r.model)).toEqual([]);
  });

  it('pressing Save twice saves one story', async () => {
    const h = await setup();
    const { sim, runtime, alice } = h;
    bots.sims.gemini.setBehavior('*', { text: 'The keeper lit the lamp. "Again," she said, and the sea listened.' });
    const cmd = sim.sendInteraction(slashCommand({ name: 'write', options: { prompt: 'A lighthouse keeper' } }));
    const shown = await cmd.waitForOriginal();
    const saveId = buttons(shown)[0]!.custom_id;
    // Slow the store down so the second press arrives while the first is still saving.
    const save = runtime.store.stories.save.bind(runtime.store.stories);
    runtime.store.stories.save = async (input) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return save(input);
    };
    const first = sim.sendInteraction(button({ customId: saveId }));
    const second = sim.sendInteraction(button({ customId: saveId }));
    const refusal = await second.waitForOriginal();
    expect(refusal.ephemeral).toBe(true);
    expect(refusal.content).toMatch(/I am saving it right now|Already saved as/);
    await first.waitForFollowUps(1);
    expect(await runtime.store.stories.count(alice)).toBe(1);
  });
  it('forgets a draft DRAFT_TTL_MS after it was written, even when nobody wrote since: Save then says so', async () => {
    const h = await setup();
    const { sim, runtime, alice } = h;
    bots.sims.gemini.setBehavior('*', { text: 'The keeper lit the lamp. "Again," she said, and the sea listened.' });
    const shown = await sim.sendInteraction(slashCommand({ name: 'write', options: { prompt: 'A lighthouse keeper' } })).waitForOriginal();
    const saveId = buttons(shown)[0]!.custom_id;
    // The press comes just after the draft's lifetime (only the wall clock moves; no timer is faked).
    const realNow = Date.now.bind(Date);
    const later = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + DRAFT_TTL_MS + 1000);
    try {
      const reply = await sim.sendInteraction(button({ customId: saveId })).waitForOriginal();
      expect(reply.ephemeral).toBe(true);
      expect(reply.content).toBe(EXPIRED);
    } finally {
      later.mockRestore();
    }
    expect(await runtime.store.stories.count(alice)).toBe(0);
  });

  it('a draft outlives its bot process: another process on the same database serves Save and Regenerate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zega-write-'));
    try {
      const env = { STORAGE_URL: `sqlite://${join(dir, 'zega.sqlite')}` };
      const first = await setup(env);
      const { sim, alice } = first;
      bots.sims.gemini.setBehavior('*', { text: 'The keeper lit the lamp. "Again," she said, and the sea listened.' });
      const cmd = sim.sendInteraction(slashCommand({ name: 'write', options: { prompt: 'A lighthouse keeper' } }));
      const shown = await cmd.waitForOriginal();
      const [saveButton, regenButton] = buttons(shown);
      // The process that wrote it stops; another one, on the same file, gets the presses.
      const second = await bots.start({ env, sim });
      const token = saveButton!.custom_id.split(':').at(-1)!;
      expect(await second.runtime.store.state.get(stateKeys.draft(alice, token))).toMatchObject({ token, prompt: 'A lighthouse keeper' });
      await first.bot.stop();
      const [note] = await cmd.click(saveButton!.custom_id).waitForFollowUps(1);
      expect(note?.content).toMatch(/^Saved to your library as/);
      expect(await second.runtime.store.stories.count(alice)).toBe(1);
      bots.sims.gemini.setBehavior('*', { text: 'A second take: the lamp went dark, and the keeper smiled.' });
      const rewritten = await cmd.click(regenButton!.custom_id).waitForOriginal((m) => storyText(m).includes('A second take'));
      expect(buttons(rewritten)[0]?.label).toBe('Save');
      expectQuiet(second);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
