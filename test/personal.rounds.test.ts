/**
 * Fine-tune rounds against the loopback Ollama (the real `ollama` package): the exact create
 * request, versioning with removal of the previous version, the trigger at 50/100/150, rounds
 * without Ollama, a missing base model, and rounds of one user never overlapping.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FineTuneService, nextRoundAt, ollamaConnector, roundDue } from '../src/personal/fineTuneRounds.ts';
import { requestTurn } from '../src/personal/modelfile.ts';
import { openStore, type NewFineTuneExample, type ZegaStore } from '../src/storage/index.ts';
import { storySystemPrompt } from '../src/trainer/systemPrompt.ts';
import type { Genre } from '../src/trainer/genres.ts';
import { startOllamaSimulator, type OllamaSimulatorHandle } from '../src/simulators/ollama.ts';

const A = 'groq-llama-3.3-70b';
const B = 'gemini-2.5-flash';
const S1 = { temperature: 0.9, topP: 0.95, maxTokens: 600 };
const S2 = { temperature: 0.7, topP: 0.9, maxTokens: 500 };
const GENRES: Genre[] = ['Horror', 'Comedy', 'Romance'];
const STAR: Record<number, { genre: Genre; quality: number }> = {
  4: { genre: 'Horror', quality: 9.5 },
  10: { genre: 'Comedy', quality: 9.4 },
  20: { genre: 'Romance', quality: 9.3 },
};

let sim: OllamaSimulatorHandle;
let store: ZegaStore;
let added = 0;

beforeAll(async () => {
  sim = await startOllamaSimulator();
});
afterAll(() => sim.close());
beforeEach(async () => {
  sim.reset();
  store = await openStore('memory://');
  added = 0;
});
afterEach(() => store.close());

/** Example i: stars at 4/10/20 (teacher B), the rest teacher A with S1 at 7.5 or S2 at 7.8. */
function exampleAt(i: number, userId = 'alice'): NewFineTuneExample {
  const star = STAR[i];
  const genre = star ? star.genre : (GENRES[i % 3] as Genre);
  const useS2 = i % 3 === 1;
  const quality = star?.quality ?? (useS2 ? 7.8 : 7.5);
  const textQuality = 8.6;
  return {
    userId,
    runId: 'run-1',
    index: i,
    system: storySystemPrompt(genre),
    prompt: `Prompt number ${i} about a ${genre.toLowerCase()} lighthouse.`,
    story: `Story ${i}. The keeper climbed the silent tower at dusk. "Who is there?" he asked. Nobody answered, and the golden light turned.`,
    quality,
    textQuality,
    genre,
    teacherId: star ? B : A,
    settings: star ? S1 : useS2 ? S2 : S1,
    // Every fifth example has no clear loser (0.3 below the winner): no preference pair.
    // Pairs compare story scores: every fifth loser is within the 0.5 margin.
    storyQuality: 6.6,
    rejected: [{ teacherId: 'hf-mistral-7b', text: `Weaker story ${i}.`, textQuality: i % 5 === 0 ? 8.3 : 7.9, storyQuality: i % 5 === 0 ? 6.3 : 5.9 }],
    createdAt: Date.UTC(2026, 0, 1) + i * 1000,
  };
}

async function addExamples(upTo: number, userId = 'alice'): Promise<void> {
  for (; added < upTo; added++) await store.fineTune.add(exampleAt(added, userId));
}

function service(over: Partial<ConstructorParameters<typeof FineTuneService>[0]> = {}): FineTuneService {
  return new FineTuneService({ fineTune: store.fineTune, ollama: ollamaConnector(sim.url), every: 50, ...over });
}

/** Test oracle for the few-shot order: per genre by quality then newest, genres by their best, round-robin. */
function expectedShots(count: number, take: number): NewFineTuneExample[] {
  const all = Array.from({ length: count }, (_, i) => exampleAt(i));
  const groups = GENRES.map((g) => all.map((e, seq) => ({ e, seq })).filter((x) => x.e.genre === g).sort((a, b) => b.e.quality - a.e.quality || b.seq - a.seq));
  groups.sort((a, b) => b[0]!.e.quality - a[0]!.e.quality);
  const out: NewFineTuneExample[] = [];
  for (let pass = 0; out.length < take; pass++) for (const g of groups) if (g[pass] && out.length < take) out.push(g[pass]!.e);
  return out;
}

describe('roundDue / nextRoundAt', () => {
  it('is due when a multiple of every was crossed since the last round', () => {
    expect(roundDue(49, 0, 50)).toBe(false);
    expect(roundDue(50, 0, 50)).toBe(true);
    expect(roundDue(99, 50, 50)).toBe(false);
    expect(roundDue(100, 50, 50)).toBe(true);
    expect(roundDue(120, 40, 50)).toBe(true);
    expect(roundDue(149, 120, 50)).toBe(false);
    expect(nextRoundAt(120, 50)).toBe(150);
    expect(nextRoundAt(0, 50)).toBe(50);
  });
});

describe('fine-tune rounds with Ollama', () => {
  it('builds zega-<user>-v1 at 50 examples with the exact create request', async () => {
    const svc = service();
    await addExamples(49);
    expect(await svc.maybeRunRound('alice')).toBeUndefined();
    expect(sim.createdModels()).toEqual([]);
    expect(await svc.status('alice')).toMatchObject({ examples: 49, rounds: 0, untilNext: 1, nextAt: 50, due: false });

    await addExamples(50);
    expect((await svc.status('alice')).due).toBe(true);
    const round = (await svc.maybeRunRound('alice'))!;
    expect(round).toMatchObject({
      round: 1,
      trigger: 'auto',
      examples: 50,
      build: { status: 'built', base: 'llama3.2', model: 'zega-alice-v1', version: 1, fewShots: 8 },
      current: { model: 'zega-alice-v1', version: 1, base: 'llama3.2', round: 1, fewShots: 8 },
      latestVersion: 1,
      dataset: { examples: 50, preferencePairs: 40, genres: { Horror: 18, Comedy: 16, Romance: 16 } },
    });

    const created = sim.createdModels();
    expect(created).toHaveLength(1);
    const request = created[0]!;
    expect(request.model).toBe('zega-alice-v1');
    expect(request.from).toBe('llama3.2');
    expect(request.stream).toBe(false);
    // Teacher A's wins are trusted (47 of 50); its S2 wins average 7.8 against 7.5 with S1.
    expect(request.parameters).toEqual({ temperature: 0.7, top_p: 0.9, num_predict: 500, num_ctx: 8192 });
    expect(request.system).toBe(
      'You are a personal story writer, tuned on the 10 best-rated stories of the person you write for. ' +
        'Their favourite genres are Horror, Comedy and Romance; when a request names a genre, write in that genre. ' +
        'Write in the style of their best stories: about 20 words, sentences of about 4 words, ' +
        'vivid, concrete description, a line of dialogue in double quotes where it fits and third-person narration. ' +
        'Write one complete, original piece for the request you are given. Answer with the piece only: no title, no preface, no notes.',
    );
    const shots = expectedShots(50, 8);
    expect(shots.slice(0, 3).map((s) => s.index)).toEqual([4, 10, 20]);
    expect(request.messages).toEqual(
      shots.flatMap((s) => [
        { role: 'user', content: requestTurn(s.prompt, s.genre) },
        { role: 'assistant', content: s.story },
      ]),
    );
    expect(round.bestParams.overall).toEqual({
      best_model: A,
      // Confidence recovered from final = 0.7 × 8.6 + 3 × c: 0.59 on the 7.8 wins, 0.49 on the 7.5 ones.
      ensemble_confidence: 0.52,
      model_scores: { [B]: 8.6, [A]: 8.6, 'hf-mistral-7b': 7.98 },
      generation_params: { temperature: 0.7, top_p: 0.9, max_tokens: 500 },
      samples: 15,
      average_quality: 7.8,
    });
    expect(sim.models()).toContain('zega-alice-v1:latest');
    expect(await svc.status('alice')).toMatchObject({ examples: 50, rounds: 1, untilNext: 50, nextAt: 100, due: false, model: { model: 'zega-alice-v1', version: 1 } });
    // Nothing more is due until 100.
    expect(await svc.maybeRunRound('alice')).toBeUndefined();
  });

  it('runs again at 100 and 150, keeps versions in order and removes the previous model only after the new one exists', async () => {
    const svc = service();
    const versions: (string | undefined)[] = [];
    for (const mark of [50, 99, 100, 149, 150]) {
      await addExamples(mark);
      const round = await svc.maybeRunRound('alice');
      versions.push(round?.build.model);
    }
    expect(versions).toEqual(['zega-alice-v1', undefined, 'zega-alice-v2', undefined, 'zega-alice-v3']);
    expect(sim.createdModels().map((c) => c.model)).toEqual(['zega-alice-v1', 'zega-alice-v2', 'zega-alice-v3']);
    expect(sim.models().filter((m) => m.startsWith('zega-'))).toEqual(['zega-alice-v3:latest']);
    // Each delete came after the create of its successor.
    const order = sim.requests.filter((r) => r.path === '/api/create' || r.path === '/api/delete').map((r) => `${r.path} ${(r.body as { model?: string; name?: string }).model ?? (r.body as { name?: string }).name}`);
    expect(order).toEqual([
      '/api/create zega-alice-v1',
      '/api/create zega-alice-v2',
      '/api/delete zega-alice-v1',
      '/api/create zega-alice-v3',
      '/api/delete zega-alice-v2',
    ]);
    const rounds = await store.fineTune.rounds('alice');
    expect(rounds.map((r) => [r.round, r.examples, r.build.version, r.build.removed])).toEqual([
      [3, 150, 3, 'zega-alice-v2'],
      [2, 100, 2, 'zega-alice-v1'],
      [1, 50, 1, undefined],
    ]);
    // Versions keep going when a run jumps over several multiples: one round, next at the following multiple.
    await addExamples(260);
    expect((await svc.maybeRunRound('alice'))?.build.model).toBe('zega-alice-v4');
    expect(await svc.status('alice')).toMatchObject({ rounds: 4, nextAt: 300, untilNext: 40, model: { version: 4 } });
  });

  it('honours another FINE_TUNE_EVERY and base model', async () => {
    const withQwen = await startOllamaSimulator({ models: ['qwen2.5:7b'] });
    try {
      const svc = new FineTuneService({ fineTune: store.fineTune, ollama: ollamaConnector(withQwen.url), every: 20, baseModel: 'qwen2.5:7b' });
      await addExamples(19);
      expect(await svc.maybeRunRound('alice')).toBeUndefined();
      await addExamples(20);
      const round = await svc.maybeRunRound('alice');
      expect(round?.build).toMatchObject({ status: 'built', base: 'qwen2.5:7b', model: 'zega-alice-v1' });
      expect(withQwen.createdModels()[0]?.from).toBe('qwen2.5:7b');
      expect(await svc.status('alice')).toMatchObject({ every: 20, nextAt: 40, untilNext: 20 });
    } finally {
      await withQwen.close();
    }
  });

  it('never runs two rounds of one user at once', async () => {
    const svc = service();
    await addExamples(50);
    const results = await Promise.all([svc.maybeRunRound('alice'), svc.maybeRunRound('alice'), svc.afterRun('alice')]);
    expect(results.filter((r) => r !== undefined && 'round' in r && typeof r.round === 'number')).toHaveLength(1);
    expect(sim.createdModels()).toHaveLength(1);
    expect(await store.fineTune.roundCount('alice')).toBe(1);
  });
});

describe('fine-tune rounds without a usable Ollama', () => {
  it('still refreshes the dataset and best parameters and says how to enable the build; a later round builds v1', async () => {
    const off = service({ ollama: ollamaConnector('off') });
    await addExamples(50);
    const report = await off.afterRun('alice');
    expect(report.error).toBeUndefined();
    expect(report.round).toMatchObject({ round: 1, build: { status: 'skipped', base: 'llama3.2' }, latestVersion: 0, dataset: { examples: 50 } });
    expect(report.round?.current).toBeUndefined();
    expect(report.round?.build.reason).toMatch(/OLLAMA_HOST=off.*ollama pull llama3\.2/);
    expect(report.round?.bestParams.overall?.best_model).toBe(A);
    expect(report.round?.bestParams.perGenre.Horror?.best_model).toBe(A);
    expect(report.status).toMatchObject({ rounds: 1, nextAt: 100, untilNext: 50 });
    expect(report.status?.model).toBeUndefined();

    // Unreachable (nothing listens there): the same, with the address in the hint.
    const closed = await startOllamaSimulator();
    const url = closed.url;
    await closed.close();
    await addExamples(100);
    const unreachable = await service({ ollama: ollamaConnector(url) }).maybeRunRound('alice');
    expect(unreachable?.build.status).toBe('skipped');
    expect(unreachable?.build.reason).toContain(`does not answer at ${url}`);

    await addExamples(150);
    const built = await service().maybeRunRound('alice');
    expect(built?.build).toMatchObject({ status: 'built', model: 'zega-alice-v1', version: 1 });
    expect(built?.round).toBe(3);
  });

  it('catches up a skipped build after the next run once Ollama answers, without waiting for the next multiple', async () => {
    await addExamples(50);
    expect((await service({ ollama: ollamaConnector('off') }).maybeRunRound('alice'))?.build.status).toBe('skipped');
    await addExamples(55);
    // Still no Ollama: nothing to do, no new round.
    expect(await service({ ollama: ollamaConnector('off') }).maybeRunRound('alice')).toBeUndefined();
    // Ollama without the base model: nothing either.
    expect(await service({ baseModel: 'mistral-nemo' }).maybeRunRound('alice')).toBeUndefined();
    const caughtUp = await service().maybeRunRound('alice');
    expect(caughtUp).toMatchObject({ round: 2, examples: 55, build: { status: 'built', model: 'zega-alice-v1' } });
    // Built now: nothing more until 100.
    expect(await service().maybeRunRound('alice')).toBeUndefined();
    expect(await service().status('alice')).toMatchObject({ rounds: 2, nextAt: 100, untilNext: 45 });
  });

  it('reports a missing base model with the pull command and keeps the current personal model', async () => {
    await addExamples(50);
    await service().maybeRunRound('alice');
    await addExamples(100);
    const round = await service({ baseModel: 'mistral-nemo' }).maybeRunRound('alice');
    expect(round?.build.status).toBe('failed');
    expect(round?.build.reason).toMatch(/base model mistral-nemo is not in Ollama\. Run `ollama pull mistral-nemo`/);
    expect(round?.current).toMatchObject({ model: 'zega-alice-v1', version: 1 });
    expect(round?.latestVersion).toBe(1);
    expect(sim.models()).toContain('zega-alice-v1:latest');
    expect(sim.createdModels()).toHaveLength(1);
  });

  it('keeps users apart', async () => {
    await addExamples(50);
    added = 0;
    await addExamples(10, 'bob');
    const svc = service();
    expect(await svc.maybeRunRound('bob')).toBeUndefined();
    expect((await svc.maybeRunRound('alice'))?.build.model).toBe('zega-alice-v1');
    expect(await svc.status('bob')).toMatchObject({ examples: 10, rounds: 0, untilNext: 40 });
  });
});
