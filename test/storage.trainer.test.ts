/**
 * The TrainerStore over the real repositories: one realistic example persisted everywhere it
 * belongs (run, statistics, library, fine-tuning collection, memory), idempotency, runs and their
 * Discord message, interrupted runs after a restart, and the chat-format fine-tuning export.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openStore, type ZegaStore } from '../src/storage/index.ts';
import { describeBackends, freshStorePerTest } from './helpers/storageBackends.ts';
import type { ExampleRecord, RunOptions, TeacherOutcome, TrainingResult } from '../src/trainer/types.ts';
import type { TeacherInfo } from '../src/teachers/types.ts';
import type { Genre } from '../src/trainer/genres.ts';


const TEACHERS: TeacherInfo[] = [
  { id: 'gemini-flash', provider: 'gemini', model: 'gemini-2.0-flash', defaults: { temperature: 0.9, topP: 0.95, maxTokens: 1024 } },
  { id: 'gemini-pro', provider: 'gemini', model: 'gemini-1.5-pro', defaults: { temperature: 0.8, topP: 0.95, maxTokens: 1024 } },
  { id: 'groq-llama', provider: 'groq', model: 'llama-3.3-70b-versatile', defaults: { temperature: 0.8, topP: 0.9, maxTokens: 1024 } },
  { id: 'groq-mixtral', provider: 'groq', model: 'mixtral-8x7b', defaults: { temperature: 0.8, topP: 0.9, maxTokens: 1024 } },
  { id: 'hf-mistral', provider: 'huggingface', model: 'mistralai/Mistral-7B-Instruct-v0.3', defaults: { temperature: 0.7, topP: 0.9, maxTokens: 800 } },
  { id: 'hf-zephyr', provider: 'huggingface', model: 'HuggingFaceH4/zephyr-7b-beta', defaults: { temperature: 0.7, topP: 0.9, maxTokens: 800 } },
  { id: 'ollama-llama3', provider: 'ollama', model: 'llama3.1:8b', defaults: { temperature: 0.8, topP: 0.9, maxTokens: 800 } },
];

const SYSTEM = 'You are an award-winning author of science fiction writing. Answer with the piece only.';

function options(userId = 'u-100', extra: Partial<RunOptions> = {}): RunOptions {
  return { userId, guildId: 'g-7', examples: 3, genres: ['Science Fiction'], save: true, memory: true, voting: 'consensus', ...extra };
}

const WIN_TEXT =
  'The lighthouse keeper of Europa counted the ice quakes like heartbeats. "Something is knocking," she told the relay, ' +
  'and the relay, after eleven minutes of light-lag, said nothing at all. She lit the lamp anyway.';

/** One realistic finished example: 5 candidates, a rate-limited teacher and a cancelled call. */
function record(runId: string, index: number, extra: Partial<ExampleRecord> & { quality?: number; userId?: string } = {}): ExampleRecord {
  const quality = extra.quality ?? 8.6;
  const outcome = (teacherId: string, textQuality: number, latencyMs: number): TeacherOutcome => ({
    teacherId,
    ok: true,
    latencyMs,
    settings: { temperature: 0.85, topP: 0.92, maxTokens: 900 },
    text: teacherId === 'groq-llama' ? WIN_TEXT : `A candidate story by ${teacherId} about moons and machines, number ${index}.`,
    textQuality,
    storyQuality: textQuality - 2,
    usage: { inputTokens: 120, outputTokens: 210 },
    finishReason: 'stop',
    votedFor: 'groq-llama',
  });
  const outcomes: TeacherOutcome[] = [
    outcome('gemini-flash', 7.1, 900),
    outcome('gemini-pro', 7.9, 1500),
    outcome('groq-llama', 8.2, 400),
    outcome('groq-mixtral', 6.4, 350),
    outcome('hf-mistral', 6.9, 2100),
    {
      teacherId: 'hf-zephyr',
      ok: false,
      latencyMs: 120,
      settings: { temperature: 0.7, topP: 0.9, maxTokens: 800 },
      failure: { kind: 'rate_limited', message: 'HTTP 429 Too Many Requests', status: 429 },
    },
    {
      teacherId: 'ollama-llama3',
      ok: false,
      latencyMs: 5,
      settings: { temperature: 0.8, topP: 0.9, maxTokens: 800 },
      failure: { kind: 'cancelled', message: 'aborted' },
    },
  ];
  const { quality: _q, ...rest } = extra;
  return {
    runId,
    userId: extra.userId ?? 'u-100',
    index,
    genre: 'Science Fiction',
    promptId: `scifi-${index}`,
    prompt: 'Write about a lighthouse on an ice moon.',
    style: 'in the voice of a ship log',
    status: 'ok',
    winner: {
      teacherId: 'groq-llama',
      text: WIN_TEXT,
      settings: { temperature: 0.85, topP: 0.92, maxTokens: 900 },
      textQuality: 8.2,
      storyQuality: 6.3,
      confidence: 0.71,
      finalQuality: quality,
      votes: { 'groq-llama': 4, 'gemini-pro': 1 },
    },
    outcomes,
    toFineTune: quality >= 7,
    toMemory: quality >= 7,
    saveStory: quality >= 8,
    finishedAt: 1_750_000_000_000 + index,
    ...rest,
  };
}

function result(runId: string, userId: string, status: TrainingResult['status']): TrainingResult {
  return {
    run_id: runId,
    user_id: userId,
    status,
    average_story_quality: 6.3,
    requested: 3,
    successful: 2,
    failed: 1,
    stories_saved: 1,
    model_performance: {},
    average_quality: 8,
    genre_distribution: { 'Science Fiction': 3 },
    training_stats: { duration_ms: 1000, calls: 21, tokens: { input: 1, output: 2 }, fine_tune_examples_collected: 2, fine_tune_examples_total: 2, until_next_fine_tune: 48, fine_tune_every: 50 },
    best_params: { per_teacher: {}, per_genre: {} },
  };
}

describeBackends('TrainerStore.recordExample', (backend) => {
  let store: ZegaStore;
  beforeEach(async () => {
    store = await openStore(await backend.fresh());
  });
  afterEach(async () => {
    await store.close();
  });

  it('persists one example into the run, statistics, library, fine-tuning collection and memory', async () => {
    const trainer = store.trainerStore();
    expect(await trainer.countFineTuneExamples('u-100')).toBe(0);
    await trainer.startRun('run-1', options(), TEACHERS);
    expect((await store.runs.get('run-1'))?.status).toBe('running');

    const persisted = await trainer.recordExample(record('run-1', 0), SYSTEM);
    expect(persisted.fineTuneTotal).toBe(1);
    expect(persisted.storyId).toMatch(/^[A-Za-z0-9]{16}$/);

    // Library.
    const story = await store.stories.get('u-100', persisted.storyId ?? '');
    expect(story).toMatchObject({
      userId: 'u-100',
      guildId: 'g-7',
      genre: 'Science Fiction',
      prompt: 'Write about a lighthouse on an ice moon.',
      style: 'in the voice of a ship log',
      text: WIN_TEXT,
      title: 'The lighthouse keeper of Europa counted the ice quakes like heartbeats.',
      finalQuality: 8.6,
      textQuality: 8.2,
      storyQuality: 6.3,
      confidence: 0.71,
      winner: { teacherId: 'groq-llama', settings: { temperature: 0.85, topP: 0.92, maxTokens: 900 } },
      runId: 'run-1',
      exampleIndex: 0,
      autoGenerated: true,
    });

    // Run: counts and the compact example.
    const run = await store.runs.get('run-1', 'u-100');
    expect(run?.counts).toMatchObject({ done: 1, successful: 1, failed: 0, storiesSaved: 1, fineTuneAdded: 1, memoryAdded: 1 });
    const [example] = await store.runs.examples('run-1');
    expect(example).toMatchObject({ i: 0, status: 'ok', winner: 'groq-llama', q: 8.6, storyId: persisted.storyId, fineTune: true, memory: true });
    expect(example?.teachers).toHaveLength(7);
    expect(example?.teachers.find((t) => t.id === 'hf-zephyr')).toMatchObject({ ok: false, fail: 'rate_limited' });

    // Statistics in every scope; a cancelled call is not counted against its teacher.
    for (const query of [{ scope: 'global' as const }, { scope: 'guild' as const, id: 'g-7' }, { scope: 'user' as const, id: 'u-100' }, { scope: 'global' as const, genre: 'Science Fiction' as Genre }]) {
      const board = await store.stats.leaderboard(query);
      expect(board[0]).toMatchObject({ rank: 1, teacherId: 'groq-llama', wins: 1, averageQuality: 8.6, averageStoryQuality: 6.3, calls: 1, failures: 0, averageLatencyMs: 400, stories: 1, winRate: 1 });
      expect(board.find((r) => r.teacherId === 'hf-zephyr')).toMatchObject({ calls: 1, failures: 1, failureRate: 1, wins: 0 });
      expect(board.find((r) => r.teacherId === 'ollama-llama3')).toBeUndefined();
      expect(board).toHaveLength(6);
    }
    expect(await store.stats.leaderboard({ scope: 'global', genre: 'Horror' })).toEqual([]);
    expect(await store.stats.topTrainers('g-7')).toEqual([{ rank: 1, userId: 'u-100', examples: 1, successful: 1, averageQuality: 8.6, stories: 1, lastAt: 1_750_000_000_000 }]);
    const best = await store.stats.bestSettings({ scope: 'user', id: 'u-100' });
    expect(best.perTeacher['groq-llama']).toEqual({ settings: { temperature: 0.85, topP: 0.92, maxTokens: 900 }, wins: 1, averageQuality: 8.6 });
    expect(best.perGenre['Science Fiction']).toMatchObject({ teacherId: 'groq-llama', wins: 1 });

    // Fine-tuning collection, with the losing candidates best first.
    const [ft] = await store.fineTune.list('u-100');
    expect(ft).toMatchObject({ system: SYSTEM, prompt: 'Write about a lighthouse on an ice moon.', story: WIN_TEXT, quality: 8.6, storyQuality: 6.3, genre: 'Science Fiction', teacherId: 'groq-llama' });
    expect(ft?.rejected.map((r) => r.teacherId)).toEqual(['gemini-pro', 'gemini-flash', 'hf-mistral', 'groq-mixtral']);
    expect(ft?.rejected[0]).toMatchObject({ textQuality: 7.9, storyQuality: 5.9, text: expect.stringContaining('gemini-pro') as string });

    // Memory.
    const hits = await store.memory.search('u-100', 'lighthouse ice quakes', 3);
    expect(hits).toHaveLength(1);
    expect(hits[0]?.entry).toMatchObject({ storyId: persisted.storyId, genre: 'Science Fiction', quality: 8.6 });
    expect(hits[0]?.score).toBeGreaterThan(0);
    expect(await store.memory.search('someone-else', 'lighthouse', 3)).toEqual([]);
  });

  it("counts the trainer's quota skips as skipped, never as calls or failures", async () => {
    const trainer = store.trainerStore();
    await trainer.startRun('run-skip', options(), TEACHERS);
    await trainer.recordExample(record('run-skip', 0, { skipped: ['scarce-teacher'] }), SYSTEM);
    await trainer.recordExample(record('run-skip', 1, { skipped: ['scarce-teacher'] }), SYSTEM);
    const board = await store.stats.leaderboard({ scope: 'user', id: 'u-100' });
    expect(board.find((r) => r.teacherId === 'scarce-teacher')).toMatchObject({ calls: 0, failures: 0, skipped: 2, wins: 0 });
    expect(board.find((r) => r.teacherId === 'groq-llama')).toMatchObject({ skipped: 0 });
  });

  it('gives each teacher a win rate over the examples it took part in, not over every example', async () => {
    const trainer = store.trainerStore();
    await trainer.startRun('run-rate', options(), TEACHERS);
    // Examples 0 and 1: everyone asked, groq-llama wins. Examples 2 and 3: groq-llama skipped for
    // lack of quota, gemini-pro wins.
    for (const index of [0, 1]) await trainer.recordExample(record('run-rate', index), SYSTEM);
    for (const index of [2, 3]) {
      const base = record('run-rate', index);
      await trainer.recordExample(
        {
          ...base,
          outcomes: base.outcomes.filter((o) => o.teacherId !== 'groq-llama'),
          skipped: ['groq-llama'],
          winner: { ...base.winner!, teacherId: 'gemini-pro', text: 'The relay answered at last.' },
        },
        SYSTEM,
      );
    }
    const board = await store.stats.leaderboard({ scope: 'user', id: 'u-100' });
    // groq-llama won both examples it was in (not 2 of 4); gemini-pro 2 of its 4; a cancelled call is no part.
    expect(board.find((r) => r.teacherId === 'groq-llama')).toMatchObject({ wins: 2, calls: 2, skipped: 2, winRate: 1 });
    expect(board.find((r) => r.teacherId === 'gemini-pro')).toMatchObject({ wins: 2, calls: 4, winRate: 0.5 });
    expect(board.find((r) => r.teacherId === 'gemini-flash')).toMatchObject({ wins: 0, calls: 4, winRate: 0 });
  });

  it('is idempotent per run and example index', async () => {
    const trainer = store.trainerStore();
    await trainer.startRun('run-2', options(), TEACHERS);
    const first = await trainer.recordExample(record('run-2', 0), SYSTEM);
    const again = await trainer.recordExample(record('run-2', 0), SYSTEM);
    expect(again).toEqual(first);
    expect(await store.stories.count('u-100')).toBe(1);
    expect(await store.fineTune.count('u-100')).toBe(1);
    expect(await store.memory.count('u-100')).toBe(1);
    expect((await store.runs.get('run-2'))?.counts.done).toBe(1);
    expect((await store.stats.leaderboard({ scope: 'global' }))[0]?.wins).toBe(1);
  });

  it('stores failed and below-threshold examples only where they belong', async () => {
    const trainer = store.trainerStore();
    await trainer.startRun('run-3', options(), TEACHERS);
    const failed = record('run-3', 0, {
      status: 'failed',
      winner: undefined,
      failureReasons: ['gemini-flash: timeout', 'groq-llama: rate limited'],
      toFineTune: false,
      toMemory: false,
      saveStory: false,
    });
    const a = await trainer.recordExample(failed, SYSTEM);
    expect(a).toEqual({ fineTuneTotal: 0 });
    const b = await trainer.recordExample(record('run-3', 1, { quality: 7.4 }), SYSTEM);
    expect(b.storyId).toBeUndefined();
    expect(b.fineTuneTotal).toBe(1);
    const c = await trainer.recordExample(record('run-3', 2, { quality: 6.1 }), SYSTEM);
    expect(c).toEqual({ fineTuneTotal: 1 });

    expect(await store.stories.count('u-100')).toBe(0);
    expect(await store.memory.count('u-100')).toBe(1);
    const run = await store.runs.get('run-3');
    expect(run?.counts).toMatchObject({ done: 3, successful: 2, failed: 1, storiesSaved: 0, fineTuneAdded: 1, memoryAdded: 1 });
    const examples = await store.runs.examples('run-3');
    expect(examples.map((e) => e.status)).toEqual(['failed', 'ok', 'ok']);
    expect(examples[0]?.reasons).toEqual(['gemini-flash: timeout', 'groq-llama: rate limited']);
    const board = await store.stats.leaderboard({ scope: 'user', id: 'u-100' });
    expect(board.find((r) => r.teacherId === 'groq-llama')).toMatchObject({ wins: 2, calls: 3, averageQuality: 6.75 });

    await trainer.finishRun('run-3', 'done', result('run-3', 'u-100', 'done'));
    const finished = await store.runs.get('run-3');
    expect(finished?.status).toBe('done');
    expect(finished?.result).toMatchObject({ run_id: 'run-3', stories_saved: 1 });
    expect(finished?.result?.training_stats.until_next_fine_tune).toBe(48);
    expect(finished?.finishedAt).toBeGreaterThan(0);
  });

  it('commits examples that finish together in one transaction, yet each alone: a bad one is rolled back without the others', async () => {
    const trainer = store.trainerStore();
    await trainer.startRun('run-g', options('u-600', { examples: 5 }), TEACHERS);
    const settled = await Promise.allSettled(
      [0, 1, 2, 3, 4].map((i) => trainer.recordExample(record('run-g', i, { userId: 'u-600', ...(i === 2 ? { genre: 'Cookbook' as Genre } : {}) }), SYSTEM)),
    );
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'INVALID_INPUT' });
    expect(await store.runs.finishedIndexes('run-g')).toEqual([0, 1, 3, 4]);
    expect(await store.stories.count('u-600')).toBe(4);
    expect(await store.fineTune.count('u-600')).toBe(4);
    expect(await store.memory.count('u-600')).toBe(4);
    expect((await store.stats.leaderboard({ scope: 'user', id: 'u-600' }))[0]).toMatchObject({ teacherId: 'groq-llama', wins: 4, calls: 4 });
    expect((await store.runs.get('run-g'))?.counts).toMatchObject({ done: 4, successful: 4, storiesSaved: 4 });
  });

  it('rolls back an example that fails alone in its transaction, leaving nothing of it', async () => {
    const trainer = store.trainerStore();
    await trainer.startRun('run-alone', options('u-700', { examples: 2 }), TEACHERS);
    // A status the example table's check refuses: the statistics rows are written before the
    // example row, which then fails — they must go with it.
    await expect(trainer.recordExample(record('run-alone', 0, { userId: 'u-700', status: 'bogus' as 'ok' }), SYSTEM)).rejects.toThrow();
    expect(await store.stories.count('u-700')).toBe(0);
    expect(await store.fineTune.count('u-700')).toBe(0);
    expect(await store.memory.count('u-700')).toBe(0);
    expect(await store.stats.leaderboard({ scope: 'user', id: 'u-700' })).toEqual([]);
    await trainer.recordExample(record('run-alone', 1, { userId: 'u-700' }), SYSTEM);
    expect(await store.runs.finishedIndexes('run-alone')).toEqual([1]);
    expect((await store.stats.leaderboard({ scope: 'user', id: 'u-700' }))[0]).toMatchObject({ teacherId: 'groq-llama', wins: 1 });
  });

  it('keeps every example when two runs of one user record at once', async () => {
    const trainer = store.trainerStore();
    await trainer.startRun('run-a', options('u-200', { examples: 40 }), TEACHERS);
    await trainer.startRun('run-b', options('u-200', { examples: 40 }), TEACHERS);
    const results = await Promise.all(
      ['run-a', 'run-b'].flatMap((runId) => Array.from({ length: 40 }, (_, i) => trainer.recordExample(record(runId, i, { userId: 'u-200' }), SYSTEM))),
    );
    expect(new Set(results.map((r) => r.storyId)).size).toBe(80);
    expect(new Set(results.map((r) => r.fineTuneTotal))).toEqual(new Set(Array.from({ length: 80 }, (_, i) => i + 1)));
    expect(await store.fineTune.count('u-200')).toBe(80);
    expect(await store.stories.count('u-200')).toBe(80);
    expect(await store.memory.count('u-200')).toBe(80);
    const seqs = (await store.fineTune.list('u-200')).map((e) => e.seq);
    expect(new Set(seqs).size).toBe(80);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect((await store.runs.get('run-a'))?.counts.done).toBe(40);
    expect((await store.stats.leaderboard({ scope: 'user', id: 'u-200' }))[0]).toMatchObject({ wins: 80, calls: 80, stories: 80 });
  });
});

describeBackends('fine-tuning export', (backend) => {
  it('writes chat-format JSON lines: messages [system, user, assistant] plus metadata', async () => {
    const store = await openStore(await backend.fresh());
    try {
      const trainer = store.trainerStore();
      await trainer.startRun('run-f', options('u-300', { examples: 50 }), TEACHERS);
      for (let i = 0; i < 50; i++) await trainer.recordExample(record('run-f', i, { userId: 'u-300', quality: 7 + (i % 3) }), SYSTEM);
      expect(await store.fineTune.count('u-300')).toBe(50);
      const text = await store.fineTune.export('u-300');
      const lines = text.trimEnd().split('\n');
      expect(lines).toHaveLength(50);
      for (const line of lines) {
        const parsed = JSON.parse(line) as { messages: { role: string; content: string }[]; metadata: Record<string, unknown> };
        expect(parsed.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
        expect(parsed.messages[0]?.content).toBe(SYSTEM);
        expect(parsed.messages[1]?.content).toBe('Write about a lighthouse on an ice moon.');
        expect(parsed.messages[2]?.content).toBe(WIN_TEXT);
        expect(parsed.metadata).toMatchObject({ genre: 'Science Fiction', teacher: 'groq-llama', run_id: 'run-f' });
        expect(parsed.metadata.quality).toBeGreaterThanOrEqual(7);
      }
      const bare = JSON.parse((await store.fineTune.export('u-300', { metadata: false })).split('\n')[0] ?? '{}') as Record<string, unknown>;
      expect(Object.keys(bare)).toEqual(['messages']);
      expect(await store.fineTune.export('nobody')).toBe('');
    } finally {
      await store.close();
    }
  });
});

describeBackends('runs', (backend) => {
  it('lists runs, remembers the Discord message and plan, and marks a run interrupted when its process closes the store', async () => {
    const url = await backend.fresh();
    const first = await openStore(url);
    const trainer = first.trainerStore();
    await first.runs.create('run-q', options('u-400'), TEACHERS);
    expect((await first.runs.get('run-q'))?.status).toBe('queued');
    await trainer.startRun('run-q', options('u-400', { seed: 'seed-7', genres: ['Horror', 'Fantasy'] }), TEACHERS);
    await trainer.recordExample(record('run-q', 0, { userId: 'u-400' }), SYSTEM);
    await trainer.finishRun('run-q', 'done', result('run-q', 'u-400', 'done'));
    await trainer.startRun('run-r', options('u-400'), TEACHERS);
    await trainer.recordExample(record('run-r', 0, { userId: 'u-400' }), SYSTEM);
    await trainer.recordExample(record('run-r', 2, { userId: 'u-400' }), SYSTEM);
    expect(await first.runs.setMessage('run-r', { channelId: '123', messageId: '456', guildId: 'g-7', threadId: '789', applicationId: 'app-1' })).toMatchObject({ message: { channelId: '123', messageId: '456' } });
    expect(await first.runs.setMessage('no-such-run', { channelId: '1', messageId: '2' })).toBeUndefined();
    expect((await first.runs.list('u-400')).map((r) => r.id)).toEqual(['run-r', 'run-q']);
    expect((await first.runs.latest('u-400'))?.id).toBe('run-r');
    expect(await first.runs.get('run-r', 'someone-else')).toBeUndefined();
    expect(first.interruptedRuns).toEqual([]);
    // The plan is stored whole, so a run can be resumed from the indexes it has not finished.
    expect((await first.runs.get('run-q'))?.options).toMatchObject({ seed: 'seed-7', genres: ['Horror', 'Fantasy'], examples: 3, voting: 'consensus', save: true, memory: true });
    expect((await first.runs.get('run-q'))?.teachers.map((t) => t.id)).toEqual(TEACHERS.map((t) => t.id));
    expect(await first.runs.finishedIndexes('run-r')).toEqual([0, 2]);
    expect(await first.runs.summaries('u-400')).toMatchObject([
      { id: 'run-r', status: 'running', examples: 3, done: 2 },
      { id: 'run-q', status: 'done', examples: 3, done: 1 },
    ]);
    // The process stops without finishing run-r.
    await first.close();

    const second = await openStore(url);
    try {
      const interrupted = await second.runs.get('run-r');
      expect(interrupted).toMatchObject({ status: 'interrupted', counts: { done: 2 }, message: { messageId: '456', threadId: '789', applicationId: 'app-1' } });
      expect(interrupted?.message?.updatedAt).toBeGreaterThan(0);
      expect(await second.runs.examples('run-r')).toHaveLength(2);
      expect((await second.runs.get('run-q'))?.status).toBe('done');
      expect(second.interruptedRuns).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('leaves the running runs of a live process alone and marks those whose process died (stale heartbeat)', async () => {
    const url = await backend.fresh();
    const bot = await openStore(url, { heartbeatMs: 60_000 });
    try {
      await bot.trainerStore().startRun('run-live', options('u-500'), TEACHERS);
      // Another process (the CLI, a second bot) opening the same database must not touch it.
      const cli = await openStore(url);
      expect(cli.interruptedRuns).toEqual([]);
      expect((await cli.runs.get('run-live'))?.status).toBe('running');
      await cli.close();
      // A process finding its heartbeat stale (here: any heartbeat at all) takes it for dead.
      const later = await openStore(url, { staleRunMs: -1 });
      expect(later.interruptedRuns).toEqual(['run-live']);
      expect(await later.runs.get('run-live')).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/stopped/) as string });
      await later.close();
    } finally {
      await bot.close();
    }
  });
});

describeBackends('statistics appended per example, folded in bulk', (backend) => {
  const fresh = freshStorePerTest(backend);

  /**
   * Every figure the statistics give, in every scope they are read in; sums of qualities to 9
   * decimals, since adding the same floats in another order moves the last bits.
   */
  async function figures(s: ZegaStore) {
    const rounded = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(9)) : v)));
    return rounded({
      global: await s.stats.leaderboard({ scope: 'global' }),
      globalHorror: await s.stats.leaderboard({ scope: 'global', genre: 'Horror' }),
      alice: await s.stats.leaderboard({ scope: 'user', id: 'u-alice' }),
      bob: await s.stats.leaderboard({ scope: 'user', id: 'u-bob' }),
      guild: await s.stats.leaderboard({ scope: 'guild', id: 'g-7' }),
      settingsGlobal: await s.stats.bestSettings({ scope: 'global' }),
      settingsAlice: await s.stats.bestSettings({ scope: 'user', id: 'u-alice' }),
      settingsGuild: await s.stats.bestSettings({ scope: 'guild', id: 'g-7' }),
      history: (await s.stats.teacherHistory()).sort((x, y) => `${x.genre}${x.teacherId}`.localeCompare(`${y.genre}${y.teacherId}`)),
    }) as { [K in 'global' | 'globalHorror' | 'alice' | 'bob' | 'guild']: Awaited<ReturnType<ZegaStore['stats']['leaderboard']>> } & {
      [K in 'settingsGlobal' | 'settingsAlice' | 'settingsGuild']: Awaited<ReturnType<ZegaStore['stats']['bestSettings']>>;
    } & { history: Awaited<ReturnType<ZegaStore['stats']['teacherHistory']>> };
  }

  /** Alice trains in guild g-7, Bob in DMs; three genres, two winners, varied settings and qualities. */
  async function train(s: ZegaStore, runId: string, userId: string, guildId: string | undefined, count: number) {
    const trainer = s.trainerStore();
    await trainer.startRun(runId, options(userId, { examples: count, ...(guildId ? { guildId } : { guildId: undefined }) }), TEACHERS);
    const genres: Genre[] = ['Horror', 'Comedy', 'Science Fiction'];
    await Promise.all(
      Array.from({ length: count }, (_, i) => {
        const base = record(runId, i, { userId, quality: 7 + (i % 3) });
        const winner = i % 4 === 0 ? { ...base.winner!, teacherId: 'gemini-pro', settings: { temperature: 0.6 + (i % 2) / 10, topP: 0.9, maxTokens: 700 } } : base.winner!;
        return trainer.recordExample({ ...base, genre: genres[i % 3] as Genre, winner }, SYSTEM);
      }),
    );
  }

  it('reads the same before and after a fold, in every scope, and after deleting a story', async () => {
    const { store } = fresh;
    await train(store, 'run-alice', 'u-alice', 'g-7', 24);
    await train(store, 'run-bob', 'u-bob', undefined, 9);
    const [story] = await store.stories.list({ userId: 'u-alice', page: 1, pageSize: 1, sort: 'newest' }).then((p) => p.items);
    await store.stories.delete('u-alice', story!.id);
    expect(await store.stats.pendingRows()).toBeGreaterThan(0);
    const before = await figures(store);
    expect(before.alice.find((r) => r.teacherId === 'groq-llama')).toMatchObject({ wins: 18, calls: 24 });
    expect(before.guild).toEqual(before.alice);
    expect(before.global.find((r) => r.teacherId === 'gemini-pro')).toMatchObject({ wins: 6 + 3, calls: 33 });
    expect(before.settingsAlice.perTeacher['gemini-pro']).toMatchObject({ wins: 6, settings: { temperature: 0.6 } });
    // What --teachers auto starts from: examples asked and won per teacher and genre, over all users
    // (Alice's 24 and Bob's 9 over three genres; the cancelled call is not an example it was asked in).
    expect(before.history.filter((h) => h.genre === 'Horror' && h.teacherId === 'groq-llama')).toEqual([{ teacherId: 'groq-llama', genre: 'Horror', asked: 11, wins: 8 }]);
    expect(before.history.some((h) => h.teacherId === 'ollama-llama3')).toBe(false);

    await store.stats.fold();
    expect(await store.stats.pendingRows()).toBe(0);
    expect(await figures(store)).toEqual(before);

    // Half folded, half pending: still the same sums.
    await train(store, 'run-alice-2', 'u-alice', 'g-7', 8);
    const mixed = await figures(store);
    expect(mixed.alice.find((r) => r.teacherId === 'groq-llama')).toMatchObject({ wins: 24, calls: 32 });
    await store.stats.fold();
    expect(await figures(store)).toEqual(mixed);
  });

  it('folds by itself once enough rows are pending, losing none; two processes folding at once count each row once', async () => {
    // A small fold threshold, so a few dozen examples cross it several times (the default is 2,048).
    const foldAt = 60;
    const { url } = fresh;
    const store = await openStore(url, { statsFoldAt: foldAt });
    try {
      const examples = 35; // 6 rows each (the cancelled call adds none): 210 rows, three folds
      await train(store, 'run-big', 'u-alice', 'g-7', examples);
      expect(await store.stats.pendingRows()).toBeLessThan(foldAt);
      const board = await store.stats.leaderboard({ scope: 'guild', id: 'g-7' });
      expect(board.find((r) => r.teacherId === 'hf-mistral')).toMatchObject({ calls: examples, wins: 0 });
      expect(board.find((r) => r.teacherId === 'hf-zephyr')).toMatchObject({ calls: examples, failures: examples });

      // Two SQLite connections in one process would wait for each other on the one thread (its busy
      // wait is synchronous); test/storage.processes.test.ts trains from two processes into one file.
      if (backend.dialect === 'sqlite') return;
      // A second process on the same database: both record and fold at the same time.
      const other = await openStore(url, { statsFoldAt: foldAt });
      try {
        await Promise.all([train(store, 'run-x', 'u-bob', undefined, 30), train(other, 'run-y', 'u-bob', undefined, 30), store.stats.fold(), other.stats.fold()]);
        await Promise.all([store.stats.fold(), other.stats.fold()]);
        expect(await other.stats.pendingRows()).toBe(0);
        const bob = await other.stats.leaderboard({ scope: 'user', id: 'u-bob' });
        expect(bob.find((r) => r.teacherId === 'groq-llama')).toMatchObject({ calls: 60, wins: 44 });
        const all = await store.stats.leaderboard({ scope: 'global' });
        expect(all.find((r) => r.teacherId === 'gemini-flash')).toMatchObject({ calls: examples + 60 });
      } finally {
        await other.close();
      }
    } finally {
      await store.close();
    }
  });
});
