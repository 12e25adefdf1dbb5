/**
 * /write's logic against the simulators (real SDKs): the personal model on Ollama with memory
 * style examples, the best teacher of the genre with the user's best settings when there is no
 * personal model, the fallback when the personal model fails, and no model at all.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FineTuneService, ollamaConnector } from '../src/personal/fineTuneRounds.ts';
import { requestTurn } from '../src/personal/modelfile.ts';
import { chooseGenre, writerSystemPrompt, writeStory, type WriterDeps } from '../src/personal/writer.ts';
import { openStore, type ZegaStore } from '../src/storage/index.ts';
import { buildTeachers, DEFAULT_ROSTER, type ProviderConnections } from '../src/teachers/roster.ts';
import type { Teacher } from '../src/teachers/types.ts';
import type { Genre } from '../src/trainer/genres.ts';
import { storySystemPrompt } from '../src/trainer/systemPrompt.ts';
import { startProviderSimulators, type ProviderSimulators } from '../src/simulators/index.ts';

let sims: ProviderSimulators;
let teachers: Teacher[];
let store: ZegaStore;

beforeAll(async () => {
  sims = await startProviderSimulators();
  const connections: ProviderConnections = sims.connections;
  teachers = buildTeachers(DEFAULT_ROSTER, connections, { unlimited: true, timeoutMs: 5_000 });
});
afterAll(() => sims.close());
beforeEach(async () => {
  sims.reset();
  store = await openStore('memory://');
});
afterEach(() => store.close());

const deps = (over: Partial<WriterDeps> = {}): WriterDeps => ({ store, teachers, ollamaHost: sims.ollama.url, timeoutMs: 5_000, ...over });

const LIGHTHOUSE = 'The lighthouse keeper counted the ships by their lamps. "Seven tonight," she whispered, and the fog answered with a bell.';
const BAKERY = 'The baker folded cardamom into the dough while the market woke, and every loaf came out golden and warm.';
const HARBOUR = 'At the harbour, a lighthouse lamp swung over the black water, and the ferry came home one light at a time.';

async function remember(genre: Genre, prompt: string, text: string, quality = 8.4): Promise<void> {
  await store.memory.add({ userId: 'alice', runId: 'run-1', genre, prompt, text, quality, teacherId: 'groq-llama-3.3-70b' });
}

/** 50 stored winners by groq in Horror with 0.7/0.9/500, so a round has something to build from. */
async function fineTuneExamples(n = 50): Promise<void> {
  for (let i = 0; i < n; i++) {
    await store.fineTune.add({
      userId: 'alice',
      runId: 'run-1',
      index: i,
      system: storySystemPrompt('Horror'),
      prompt: `A haunted lighthouse, take ${i}.`,
      story: `Story ${i}. The lamp turned in the silent fog. "Who keeps it now?" asked the child.`,
      quality: 8,
      textQuality: 8.6,
      genre: 'Horror',
      teacherId: 'groq-llama-3.3-70b',
      settings: { temperature: 0.7, topP: 0.9, maxTokens: 500 },
      rejected: [],
    });
  }
}

async function winsFor(teacherId: string, genre: Genre, count: number, settings = { temperature: 0.6, topP: 0.85, maxTokens: 700 }, userId = 'alice'): Promise<void> {
  for (let i = 0; i < count; i++) {
    await store.stats.recordExample({ userId, genre, status: 'ok', outcomes: [], winner: { teacherId, finalQuality: 8.2, settings } });
  }
}

describe('writeStory with a personal model', () => {
  it('asks zega-<user>-vN on Ollama with the best settings and the 3 most relevant memory stories, without a system turn', async () => {
    await fineTuneExamples();
    const round = await new FineTuneService({ fineTune: store.fineTune, ollama: ollamaConnector(sims.ollama.url) }).maybeRunRound('alice');
    expect(round?.build.model).toBe('zega-alice-v1');
    await remember('Horror', 'A lighthouse in the fog', LIGHTHOUSE);
    await remember('Comedy', 'A bakery at dawn', BAKERY);
    await remember('Drama', 'The harbour at night', HARBOUR);
    await remember('Horror', 'A lighthouse bell', `${LIGHTHOUSE} The bell rang twice for the lighthouse.`, 9);
    sims.ollama.setBehavior('zega-alice-v1', { text: 'A brand new lighthouse story.' });

    const outcome = await writeStory({ userId: 'alice', prompt: 'A lighthouse that keeps a secret', genre: 'Horror' }, deps());
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const { result } = outcome;
    expect(result.text).toBe('A brand new lighthouse story.');
    expect(result.author).toEqual({ kind: 'personal', model: 'zega-alice-v1', version: 1 });
    expect(result.teacherId).toBe('personal:zega-alice-v1');
    expect(result.settings).toEqual({ temperature: 0.7, topP: 0.9, maxTokens: 500 });
    expect(result.genre).toBe('Horror');
    expect(result.styleSources).toHaveLength(3);
    expect(result.styleSources.map((s) => s.prompt)).not.toContain('A bakery at dawn');

    const chats = sims.ollama.requests.filter((r) => r.path === '/api/chat');
    expect(chats).toHaveLength(1);
    const body = chats[0]!.body as { model: string; messages: { role: string; content: string }[]; options: Record<string, number> };
    expect(body.model).toBe('zega-alice-v1');
    expect(body.options).toMatchObject({ temperature: 0.7, top_p: 0.9, num_predict: 500 });
    expect(body.messages).toHaveLength(1);
    expect(body.messages[0]!.role).toBe('user');
    const hits = await store.memory.search('alice', 'A lighthouse that keeps a secret Horror', 3);
    expect(body.messages[0]!.content).toBe(
      requestTurn(
        'A lighthouse that keeps a secret',
        'Horror',
        hits.map((h) => ({ genre: h.entry.genre, text: h.entry.text })),
      ),
    );
    expect(body.messages[0]!.content).toContain(LIGHTHOUSE);
    expect(body.messages[0]!.content).not.toContain('cardamom');
    // No teacher was asked.
    expect(sims.groq.requests).toHaveLength(0);
    expect(sims.gemini.requests).toHaveLength(0);
  });

  it('falls back to the best teacher when the personal model fails, and says why', async () => {
    await fineTuneExamples();
    await new FineTuneService({ fineTune: store.fineTune, ollama: ollamaConnector(sims.ollama.url) }).maybeRunRound('alice');
    sims.ollama.injectFault('zega-alice-v1', 'server_error');
    await winsFor('groq-llama-3.3-70b', 'Horror', 4);
    const outcome = await writeStory({ userId: 'alice', prompt: 'A lighthouse that keeps a secret', genre: 'Horror' }, deps());
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.result.author).toEqual({ kind: 'teacher', teacherId: 'groq-llama-3.3-70b', why: 'wins most for you in Horror' });
    expect(outcome.result.notes).toEqual(['Your personal model `zega-alice-v1` had a server error']);
    expect(outcome.result.problems).toEqual([expect.stringMatching(/^zega-alice-v1: server_error: HTTP 500/) as string]);
  });
});

describe('writeStory without a personal model', () => {
  it('uses the teacher that wins most for the user in the genre, with the settings of its best wins', async () => {
    await winsFor('gemini-2.5-flash', 'Comedy', 6);
    await winsFor('groq-llama-3.3-70b', 'Horror', 2);
    await winsFor('hf-qwen2.5-7b', 'Horror', 5, { temperature: 0.55, topP: 0.8, maxTokens: 450 });
    const outcome = await writeStory({ userId: 'alice', prompt: 'The house at the end of the lane', genre: 'Horror' }, deps());
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.result.author).toEqual({ kind: 'teacher', teacherId: 'hf-qwen2.5-7b', why: 'wins most for you in Horror' });
    expect(outcome.result.settings).toEqual({ temperature: 0.55, topP: 0.8, maxTokens: 450 });
    expect(outcome.result.styleSources).toEqual([]);
    const request = sims.huggingface.requests.at(-1)!;
    const body = request.body as { messages: { role: string; content: string }[]; temperature: number; top_p: number };
    expect(body.temperature).toBe(0.55);
    expect(body.top_p).toBe(0.8);
    expect(body.messages).toEqual([
      { role: 'system', content: writerSystemPrompt('Horror') },
      { role: 'user', content: 'Genre: Horror\n\nRequest: The house at the end of the lane' },
    ]);
    expect(sims.ollama.requests.filter((r) => r.path === '/api/chat')).toHaveLength(0);
  });

  it('picks the genre from memory when none is given, and tries the next teacher when one fails', async () => {
    await remember('Comedy', 'A bakery at dawn', BAKERY);
    await winsFor('groq-llama-3.3-70b', 'Comedy', 3);
    await winsFor('gemini-2.5-flash', 'Horror', 9);
    sims.groq.injectFault('*', 'unauthorized');
    const outcome = await writeStory({ userId: 'alice', prompt: 'Cardamom bread for the mayor' }, deps());
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.result.genre).toBe('Comedy');
    expect(outcome.result.genreGiven).toBe(false);
    expect(outcome.result.author).toEqual({ kind: 'teacher', teacherId: 'gemini-2.5-flash', why: 'wins most for you' });
    expect(outcome.result.notes).toEqual(['`groq-llama-3.3-70b` refused the key — tell the bot’s owner']);
    expect(outcome.result.problems).toEqual([expect.stringMatching(/^groq-llama-3\.3-70b: auth: Groq 401/) as string]);
  });

  it('says what to do when no model can write', async () => {
    const outcome = await writeStory({ userId: 'alice', prompt: 'Anything' }, deps({ teachers: [] }));
    expect(outcome).toMatchObject({ ok: false, notes: [] });
    expect(outcome.ok ? '' : outcome.message).toMatch(/no personal model yet and no teacher is configured/);
  });

  it('chooses the genre: given, else the best memory hit, else the favourite, else Short Story', () => {
    expect(chooseGenre('Western', [], undefined)).toBe('Western');
    expect(chooseGenre(undefined, [], undefined)).toBe('Short Story');
  });
});
