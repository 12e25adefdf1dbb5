/**
 * What deleting and forgetting remove, on SQLite and PostgreSQL: deleting a story takes it out of
 * memory and the fine-tuning dataset too (and says how much went); forgetting a user erases every
 * row about them and subtracts their part from the global and guild statistics, leaving everyone
 * else's figures exactly as if they had never trained. Then `cli forget` from the terminal.
 */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/index.ts';
import type { CliIo } from '../src/cli/io.ts';
import { stateKeys, type ZegaStore } from '../src/storage/index.ts';
import type { ExampleRecord, RunOptions } from '../src/trainer/types.ts';
import type { Genre } from '../src/trainer/genres.ts';
import { describeBackends, freshStorePerTest } from './helpers/storageBackends.ts';

const SETTINGS = { temperature: 0.8, topP: 0.9, maxTokens: 900 };
const TEACHERS = ['gemini-flash', 'groq-llama', 'hf-mistral'];

function options(userId: string, guildId: string): RunOptions {
  return { userId, guildId, examples: 10, genres: [], save: true, memory: true, voting: 'consensus' };
}

function example(runId: string, userId: string, index: number, winner: string, quality: number, genre: Genre = 'Fantasy'): ExampleRecord {
  return {
    runId,
    userId,
    index,
    genre,
    promptId: `p${index}`,
    prompt: `A ${genre.toLowerCase()} tale about a ${index % 2 ? 'copper kettle' : 'silver lighthouse'}`,
    style: 'plain',
    status: 'ok',
    winner: { teacherId: winner, text: `The ${index % 2 ? 'copper kettle' : 'silver lighthouse'} sang at midnight, number ${index}.`, settings: SETTINGS, textQuality: 8, storyQuality: 7, confidence: 0.5, finalQuality: quality, votes: {} },
    outcomes: TEACHERS.map((teacherId) => ({ teacherId, ok: true, latencyMs: 100, settings: SETTINGS, text: `Candidate by ${teacherId}, number ${index}.`, textQuality: teacherId === winner ? 8 : 6 })),
    toFineTune: quality >= 7,
    toMemory: quality >= 7,
    saveStory: quality >= 8,
    finishedAt: 1_750_000_000_000 + index,
  };
}

async function train(store: ZegaStore, runId: string, userId: string, guildId: string, examples: [string, number, Genre?][]): Promise<void> {
  const trainer = store.trainerStore();
  await trainer.startRun(runId, options(userId, guildId), []);
  for (const [i, [winner, quality, genre]] of examples.entries()) await trainer.recordExample(example(runId, userId, i, winner, quality, genre), 'system');
}

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), error: (l) => stderr.push(l) };
}

describeBackends('deleting and forgetting', (backend) => {
  const fresh = freshStorePerTest(backend);

  it('deleting a story removes it from memory and the fine-tuning dataset, and says so', async () => {
    const { store } = fresh;
    await train(store, 'run-a', 'alice', 'g1', [['groq-llama', 8.6], ['gemini-flash', 7.5]]);
    expect(await store.memory.count('alice')).toBe(2);
    expect(await store.fineTune.count('alice')).toBe(2);
    const [saved] = (await store.stories.list({ userId: 'alice' })).items;
    expect(saved).toBeDefined();
    expect((await store.memory.search('alice', 'silver lighthouse', 5)).map((h) => h.entry.storyId)).toContain(saved?.id);

    expect(await store.stories.delete('bob', saved?.id ?? '')).toBeUndefined();
    expect(await store.stories.delete('alice', saved?.id ?? '')).toEqual({ memory: 1, fineTune: 1 });
    expect(await store.memory.count('alice')).toBe(1);
    expect((await store.memory.search('alice', 'silver lighthouse', 5)).map((h) => h.entry.storyId)).not.toContain(saved?.id);
    const dataset = await store.fineTune.export('alice');
    expect(dataset).not.toContain('silver lighthouse sang');
    expect(dataset).toContain('copper kettle sang');
    // The example that never became a story stays learned.
    expect(await store.fineTune.count('alice')).toBe(1);
  });

  it('forgetting a user erases all their rows and takes their part out of global and guild statistics', async () => {
    const { store } = fresh;
    await train(store, 'run-a', 'alice', 'g1', [['groq-llama', 8.6, 'Fantasy'], ['gemini-flash', 7.5, 'Horror'], ['groq-llama', 9.1, 'Horror']]);
    await train(store, 'run-b', 'bob', 'g1', [['hf-mistral', 8.2, 'Fantasy'], ['groq-llama', 6.5, 'Horror']]);
    await store.fineTune.addRound('alice', {
      trigger: 'auto',
      examples: 3,
      startedAt: 1,
      finishedAt: 2,
      dataset: { examples: 3, preferencePairs: 6, averageQuality: 8.4, genres: {} },
      bestParams: { perGenre: {} },
      build: { status: 'built', base: 'llama3.2', model: 'zega-alice-v1', version: 1, fewShots: 3 },
      current: { model: 'zega-alice-v1', version: 1, base: 'llama3.2', createdAt: 2, round: 1, fewShots: 3 },
      latestVersion: 1,
    });
    await store.state.set(`${stateKeys.draft('alice', 'd1')}`, { text: 'a draft' }, 60_000);
    await store.state.set(`${stateKeys.draft('bob', 'd1')}`, { text: 'his draft' }, 60_000);

    const bobBoard = await store.stats.leaderboard({ scope: 'user', id: 'bob' });
    const bobHorror = await store.stats.leaderboard({ scope: 'user', id: 'bob', genre: 'Horror' });
    const bobBest = await store.stats.bestSettings({ scope: 'user', id: 'bob' });

    const report = await store.forgetUser('alice');
    expect(report).toMatchObject({ stories: 2, runs: 1, memory: 3, fineTuneExamples: 3, fineTuneRounds: 1, state: 1, personalModels: ['zega-alice-v1'] });
    expect(report.statistics).toBeGreaterThan(0);

    expect(await store.stories.count('alice')).toBe(0);
    expect(await store.runs.list('alice')).toEqual([]);
    expect(await store.runs.get('run-a')).toBeUndefined();
    expect(await store.runs.examples('run-a')).toEqual([]);
    expect(await store.memory.count('alice')).toBe(0);
    expect(await store.fineTune.count('alice')).toBe(0);
    expect(await store.fineTune.rounds('alice')).toEqual([]);
    expect(await store.stats.leaderboard({ scope: 'user', id: 'alice' })).toEqual([]);
    expect(await store.state.get(stateKeys.draft('alice', 'd1'))).toBeUndefined();
    expect(await store.state.get(stateKeys.draft('bob', 'd1'))).toEqual({ text: 'his draft' });

    // Only bob trained now: every scope shows exactly his figures.
    const strip = (rows: Awaited<ReturnType<ZegaStore['stats']['leaderboard']>>) => rows.map(({ rank: _r, ...rest }) => rest);
    expect(strip(await store.stats.leaderboard({ scope: 'global' }))).toEqual(strip(bobBoard));
    expect(strip(await store.stats.leaderboard({ scope: 'guild', id: 'g1' }))).toEqual(strip(bobBoard));
    expect(strip(await store.stats.leaderboard({ scope: 'global', genre: 'Horror' }))).toEqual(strip(bobHorror));
    expect(await store.stats.bestSettings({ scope: 'global' })).toEqual(bobBest);
    expect((await store.stats.topTrainers('g1')).map((t) => t.userId)).toEqual(['bob']);
    expect(await store.stories.count('bob')).toBe(1);
    expect(await store.memory.count('bob')).toBe(1);
  });

  it('`cli forget` asks for --yes, then erases and says what went and which personal model it could not remove', async () => {
    const { store, url } = fresh;
    await train(store, 'run-a', 'alice', 'g1', [['groq-llama', 8.6]]);
    await store.fineTune.addRound('alice', {
      trigger: 'auto',
      examples: 1,
      startedAt: 1,
      finishedAt: 2,
      dataset: { examples: 1, preferencePairs: 2, averageQuality: 8.6, genres: {} },
      bestParams: { perGenre: {} },
      build: { status: 'built', base: 'llama3.2', model: 'zega-alice-v1', version: 1, fewShots: 1 },
      latestVersion: 1,
    });
    const env = { STORAGE_URL: url, OLLAMA_HOST: 'off', LOG_LEVEL: 'silent' };
    const refused = captureIo();
    expect(await runCli(['forget', '--user', 'alice'], refused, env)).toBe(2);
    expect(refused.stderr.join('\n')).toMatch(/Add --yes/);
    expect(await store.stories.count('alice')).toBe(1);

    const io = captureIo();
    expect(await runCli(['forget', '--user', 'alice', '--yes'], io, env)).toBe(1);
    const out = io.stdout.join('\n');
    expect(out).toMatch(/Erased everything Zega kept about user alice/);
    expect(out).toMatch(/1 story\b/);
    expect(out).toMatch(/1 training run/);
    expect(out).toMatch(/1 memory entry/);
    expect(out).toMatch(/1 fine-tuning example/);
    expect(out).toMatch(/1 fine-tune round/);
    expect(out).toMatch(/NOT removed from Ollama: zega-alice-v1 .*ollama rm zega-alice-v1/);
    expect(await store.stories.count('alice')).toBe(0);
  });
});
