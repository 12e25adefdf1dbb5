/**
 * Many processes on one SQLite file: two `cli train` processes (real child processes, tsx) train
 * the same user into one fresh database at once — both migrating it on start — while this process
 * lists the user's stories over and over. Nothing is refused, nothing is lost: every count matches
 * what the two runs reported, exactly.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/storage/index.ts';
import type { TrainingResult } from '../src/trainer/types.ts';
import { startProviderSimulators, type ProviderSimulators } from '../src/simulators/index.ts';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'zega-procs-'));
let sims: ProviderSimulators;
beforeAll(async () => {
  sims = await startProviderSimulators();
});
afterAll(async () => {
  await sims.close();
  rmSync(dir, { recursive: true, force: true });
});

function train(url: string, seed: string, examples: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/index.ts', 'train', '--examples', String(examples), '--save', '--memory', '--user', 'shared-user', '--seed', seed, '--json'],
      { cwd: root, env: { ...process.env, ...sims.env, STORAGE_URL: url, LOG_LEVEL: 'warn', RATE_LIMITS: 'off' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('two training processes and a reader on one SQLite file', () => {
  it('keeps every example of both runs, with exact counts, while the reader lists', async () => {
    const url = `sqlite://${join(dir, 'shared.sqlite')}`;
    const EXAMPLES = 30;
    const runs = Promise.all([train(url, 'proc-a', EXAMPLES), train(url, 'proc-b', EXAMPLES)]);

    // The reader: lists while both write; it must never fail and never see a total go down.
    let finished = false;
    void runs.finally(() => (finished = true));
    let reads = 0;
    let lastTotal = 0;
    const readerErrors: unknown[] = [];
    while (!finished) {
      try {
        const reader = await openStore(url, { mustExist: true, recoverRuns: false });
        try {
          for (let i = 0; i < 20 && !finished; i++) {
            const page = await reader.stories.list({ userId: 'shared-user', pageSize: 10 });
            expect(page.total).toBeGreaterThanOrEqual(lastTotal);
            expect(page.items.length).toBe(Math.min(10, page.total));
            expect(page.unreadable).toBe(0);
            lastTotal = page.total;
            reads += 1;
            await new Promise((r) => setTimeout(r, 10));
          }
        } finally {
          await reader.close();
        }
      } catch (error) {
        // Before the first process created the file there is nothing to read yet.
        if ((error as { code?: string }).code !== 'NO_DATABASE') readerErrors.push(error);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    const [a, b] = await runs;
    expect(readerErrors).toEqual([]);
    expect(a?.stderr ?? '', a?.stderr).not.toMatch(/error|locked/i);
    expect(a?.code, a?.stderr).toBe(0);
    expect(b?.code, b?.stderr).toBe(0);
    const results = [a, b].map((r) => JSON.parse(r?.stdout ?? '') as TrainingResult);
    expect(results.map((r) => r.status)).toEqual(['done', 'done']);
    expect(reads).toBeGreaterThan(0);

    const store = await openStore(url);
    try {
      const sum = (f: (r: TrainingResult) => number) => results.reduce((s, r) => s + f(r), 0);
      expect(await store.stories.count('shared-user')).toBe(sum((r) => r.stories_saved));
      expect(await store.fineTune.count('shared-user')).toBe(sum((r) => r.training_stats.fine_tune_examples_collected));
      expect(await store.memory.count('shared-user')).toBe(sum((r) => r.training_stats.fine_tune_examples_collected));
      const ids = (await store.runs.list('shared-user')).map((r) => r.id).sort();
      expect(ids).toEqual(results.map((r) => r.run_id).sort());
      for (const result of results) {
        const run = await store.runs.get(result.run_id);
        expect(run).toMatchObject({ status: 'done', counts: { done: EXAMPLES, successful: result.successful, storiesSaved: result.stories_saved } });
        expect(await store.runs.finishedIndexes(result.run_id)).toEqual(Array.from({ length: EXAMPLES }, (_, i) => i));
      }
      // Statistics: the incremental counters of both processes add up to both results.
      const board = await store.stats.leaderboard({ scope: 'user', id: 'shared-user' });
      const global = await store.stats.leaderboard({ scope: 'global' });
      for (const teacherId of Object.keys(results[0]?.model_performance ?? {})) {
        const wins = sum((r) => r.model_performance[teacherId]?.wins ?? 0);
        const calls = sum((r) => r.model_performance[teacherId]?.calls ?? 0);
        expect(board.find((r) => r.teacherId === teacherId), teacherId).toMatchObject({ wins, calls });
        expect(global.find((r) => r.teacherId === teacherId), teacherId).toMatchObject({ wins, calls });
      }
      expect(await store.migrationStatus()).toMatchObject({ pending: [] });
    } finally {
      await store.close();
    }
  }, 180_000);
});
