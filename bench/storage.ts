/**
 * Storage benchmark (not a test), on SQLite and PostgreSQL side by side:
 *
 *  1. A training run of 1,000 examples × 7 simulated teachers at zero latency, save + memory on,
 *     through the real store: wall time on a SQLite file ÷ the same run on memory:// (target
 *     ≤ 1.2), and the bytes the SQLite run wrote (write() calls of this process, WAL and
 *     checkpoints included, from /proc/self/io) ÷ the final database size (target ≤ 3).
 *  2. 10,000 stories of one user: list page p95 (< 5 ms), save p95 (< 5 ms); memory search over
 *     10,000 entries of varied text p95 (< 20 ms).
 *
 * PostgreSQL (a fresh database on ZEGA_TEST_POSTGRES_URL, dropped after) gets the same figures;
 * where it cannot be reached the column says why.
 *
 *   npm run bench -- storage
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type NewStory, type ZegaStore } from '../src/storage/index.ts';
import { GENRES, type Genre } from '../src/trainer/genres.ts';
import { buildTeachers, DEFAULT_ROSTER } from '../src/teachers/roster.ts';
import { startTraining } from '../src/trainer/run.ts';
import { startProviderSimulators } from '../src/simulators/index.ts';
import { createPostgresDatabase, postgresUnavailable } from '../test/helpers/postgres.ts';

export interface BenchFigure {
  name: string;
  sqlite: number | undefined;
  postgres: number | undefined;
  unit: string;
  /** Upper bound the issue sets (on SQLite). */
  target?: number;
}

export interface StorageBenchReport {
  figures: BenchFigure[];
  notes: string[];
}

export interface StorageBenchOptions {
  trainingExamples?: number;
  stories?: number;
  memoryEntries?: number;
  samples?: number;
  log?: (line: string) => void;
}

/** Small deterministic PRNG (mulberry32), so every run writes the same data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON = ('the a of and to in was he she it that his her they with on at for as but had were said from by one all ' +
  'lighthouse dragon river castle storm ship forest mountain shadow lantern garden winter harbor desert machine letter ' +
  'mirror tower village thief queen soldier robot planet ocean bridge train clock wolf moon star fire glass bell road').split(' ');
const SYLLABLES = 'ka lo mi ra ne so tu vi da pe sha mor len tar qui bel dun fen gor hal'.split(' ');

/** English glue plus ~3,000 made-up words drawn with a Zipf-like skew: a realistic term distribution. */
function makeWriter(seed: number) {
  const random = prng(seed);
  const vocab: string[] = [...COMMON];
  for (let i = 0; i < 3000; i++) {
    const parts = 2 + (i % 3);
    let word = '';
    let x = i * 7919 + 13;
    for (let p = 0; p < parts; p++) {
      word += SYLLABLES[x % SYLLABLES.length];
      x = Math.floor(x / SYLLABLES.length) + p * 31;
    }
    vocab.push(word);
  }
  const word = () => vocab[Math.floor(vocab.length * random() ** 2.2)] as string;
  const text = (words: number) => {
    const out: string[] = [];
    for (let i = 0; i < words; i++) out.push(i % 12 === 11 ? `${word()}.` : word());
    return out.join(' ');
  };
  return { word, text, random };
}

function percentile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * Bytes this process handed to write() so far (SQLite's WAL appends and checkpoints included, but
 * also the loopback HTTP of the simulated teachers: the memory:// run's figure is subtracted).
 */
function bytesWritten(): number {
  const io = readFileSync('/proc/self/io', 'utf8');
  return Number(/^wchar:\s*(\d+)/m.exec(io)?.[1] ?? 0);
}

function fileBytes(file: string): number {
  return ['', '-wal', '-shm'].reduce((sum, suffix) => {
    try {
      return sum + statSync(file + suffix).size;
    } catch {
      return sum;
    }
  }, 0);
}

async function trainingRun(url: string, examples: number, sims: Awaited<ReturnType<typeof startProviderSimulators>>): Promise<{ ms: number; store: ZegaStore }> {
  const store = await openStore(url);
  const teachers = buildTeachers(
    DEFAULT_ROSTER,
    sims.connections,
    { unlimited: true, concurrencyPerTeacher: 16 },
  );
  const start = performance.now();
  const result = await startTraining(
    { userId: 'bench', examples, genres: [], save: true, memory: true, voting: 'consensus', seed: 'bench' },
    { teachers, store: store.trainerStore(), concurrency: 8 },
  ).done;
  const ms = performance.now() - start;
  if (result.status !== 'done' || result.successful !== examples) throw new Error(`bench run did not store every example: ${result.status}, ${result.successful}/${examples}`);
  return { ms, store };
}

async function libraryFigures(url: string, options: Required<Omit<StorageBenchOptions, 'log' | 'trainingExamples'>>, log: (line: string) => void) {
  const writer = makeWriter(42);
  const genreOf = (i: number) => GENRES[i % GENRES.length] as Genre;
  const newStory = (i: number): NewStory => ({
    userId: 'bigUser',
    guildId: `guild${i % 5}`,
    genre: genreOf(i),
    prompt: `Write about ${writer.word()} and ${writer.word()}.`,
    style: 'in a plain style',
    text: writer.text(150),
    finalQuality: 8 + writer.random() * 2,
    textQuality: 7 + writer.random() * 3,
    confidence: writer.random(),
    winner: { teacherId: `teacher-${i % 7}`, settings: { temperature: 0.7, topP: 0.9, maxTokens: 900 } },
    runId: `run-${Math.floor(i / 50)}`,
    createdAt: 1_700_000_000_000 + i * 1000,
  });
  const store = await openStore(url);
  try {
    for (let i = 0; i < options.stories; i++) {
      await store.stories.save(newStory(i));
      if ((i + 1) % 5000 === 0) log(`    ${i + 1} stories`);
    }
    for (let i = 0; i < options.memoryEntries; i++) {
      await store.memory.add({ userId: 'memUser', runId: 'run-m', genre: genreOf(i), prompt: `Write about the ${writer.word()} of ${writer.word()}.`, text: writer.text(150), quality: 7 + writer.random() * 3, teacherId: `teacher-${i % 7}` });
    }
    log(`    ${options.memoryEntries} memory entries`);
    // A running PostgreSQL has vacuumed and analyzed its tables (autovacuum does both after this
    // many inserts: autovacuum_vacuum_insert_threshold, PostgreSQL 13+); right after a bulk load it
    // has not, and without the visibility map an index-only scan is not chosen.
    if (url.startsWith('postgres')) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query('vacuum analyze');
      await client.end();
    }
    const pages = Math.ceil(options.stories / 10);
    const list: number[] = [];
    for (let i = 0; i < options.samples; i++) {
      const page = 1 + Math.floor((i * 7919) % pages);
      const sort = i % 2 === 0 ? 'newest' : 'best';
      list.push(await time(() => store.stories.list({ userId: 'bigUser', page, pageSize: 10, sort, ...(i % 5 === 0 ? { genre: genreOf(i) } : {}) })));
    }
    const save: number[] = [];
    for (let i = 0; i < options.samples; i++) save.push(await time(() => store.stories.save(newStory(options.stories + i))));
    const search: number[] = [];
    for (let i = 0; i < options.samples; i++) {
      const query = `${writer.word()} ${writer.word()} ${writer.word()}`;
      search.push(await time(() => store.memory.search('memUser', query, 5)));
    }
    const both = (xs: number[]) => ({ p50: percentile(xs, 0.5), p95: percentile(xs, 0.95) });
    return { list: both(list), save: both(save), search: both(search) };
  } finally {
    await store.close();
  }
}

export async function runStorageBench(options: StorageBenchOptions = {}): Promise<StorageBenchReport> {
  const examples = options.trainingExamples ?? 1000;
  const lib = { stories: options.stories ?? 10_000, memoryEntries: options.memoryEntries ?? 10_000, samples: options.samples ?? 300 };
  const log = options.log ?? (() => undefined);
  const notes: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'zega-bench-'));
  const sims = await startProviderSimulators();
  const pgDatabases: (() => Promise<void>)[] = [];
  const freshPostgres = async (): Promise<string | undefined> => {
    if (postgresUnavailable) return undefined;
    const db = await createPostgresDatabase();
    pgDatabases.push(db.drop);
    return db.url;
  };
  if (postgresUnavailable) notes.push(`PostgreSQL not measured: ${postgresUnavailable}`);
  try {
    // 1. A training run per backend.
    log(`  training run, ${examples} examples × 7 teachers, save + memory`);
    await (await trainingRun('memory://', 20, sims)).store.close(); // warm-up: JIT, connection pools
    const memoryBefore = bytesWritten();
    const memory = await trainingRun('memory://', examples, sims);
    await memory.store.close();
    const memoryWritten = bytesWritten() - memoryBefore;
    log(`    memory://   ${(memory.ms / 1000).toFixed(1)} s`);
    const file = join(dir, 'training.sqlite');
    const before = bytesWritten();
    const sqlite = await trainingRun(`sqlite://${file}`, examples, sims);
    await sqlite.store.close();
    const written = Math.max(0, bytesWritten() - before - memoryWritten);
    const size = fileBytes(file);
    log(`    sqlite://   ${(sqlite.ms / 1000).toFixed(1)} s, ${(written / 1e6).toFixed(1)} MB written, ${(size / 1e6).toFixed(1)} MB on disk`);
    const pgUrl = await freshPostgres();
    let postgresMs: number | undefined;
    if (pgUrl) {
      const pgRun = await trainingRun(pgUrl, examples, sims);
      await pgRun.store.close();
      postgresMs = pgRun.ms;
      log(`    postgres:// ${(pgRun.ms / 1000).toFixed(1)} s`);
    }

    // 2. The library of one user with 10,000 stories, and memory search.
    log(`  ${lib.stories} stories of one user, ${lib.memoryEntries} memory entries — sqlite`);
    const sqliteLib = await libraryFigures(`sqlite://${join(dir, 'library.sqlite')}`, lib, log);
    let pgLib: Awaited<ReturnType<typeof libraryFigures>> | undefined;
    const pgLibUrl = await freshPostgres();
    if (pgLibUrl) {
      log('  the same on postgres');
      pgLib = await libraryFigures(pgLibUrl, lib, log);
    }
    notes.push(`memory:// run: ${(memory.ms / 1000).toFixed(2)} s; SQLite run wrote ${(written / 1e6).toFixed(1)} MB for a ${(size / 1e6).toFixed(1)} MB database`);
    notes.push(`load average while measuring: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores (p95 includes waiting for a CPU)`);
    return {
      figures: [
        { name: `training run ${examples}×7, time ÷ memory:// run`, sqlite: sqlite.ms / memory.ms, postgres: postgresMs === undefined ? undefined : postgresMs / memory.ms, unit: '×', target: 1.2 },
        { name: 'bytes written ÷ final database size', sqlite: written / size, postgres: undefined, unit: '×', target: 3 },
        { name: `list page p95 (${lib.stories} stories, one user)`, sqlite: sqliteLib.list.p95, postgres: pgLib?.list.p95, unit: 'ms', target: 5 },
        { name: '  (p50)', sqlite: sqliteLib.list.p50, postgres: pgLib?.list.p50, unit: 'ms' },
        { name: 'save a story p95', sqlite: sqliteLib.save.p95, postgres: pgLib?.save.p95, unit: 'ms', target: 5 },
        { name: '  (p50)', sqlite: sqliteLib.save.p50, postgres: pgLib?.save.p50, unit: 'ms' },
        { name: `memory search top-5 p95 (${lib.memoryEntries} entries)`, sqlite: sqliteLib.search.p95, postgres: pgLib?.search.p95, unit: 'ms', target: 20 },
        { name: '  (p50)', sqlite: sqliteLib.search.p50, postgres: pgLib?.search.p50, unit: 'ms' },
      ],
      notes,
    };
  } finally {
    await sims.close();
    for (const drop of pgDatabases) await drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatReport(report: StorageBenchReport): string {
  const show = (value: number | undefined, unit: string) => (value === undefined ? '–' : `${value.toFixed(2)} ${unit}`);
  const rows = report.figures.map((f) => [
    f.name,
    show(f.sqlite, f.unit),
    show(f.postgres, f.unit),
    f.target === undefined ? '' : `≤ ${f.target} ${f.unit}`,
    f.target === undefined || f.sqlite === undefined ? '' : f.sqlite <= f.target ? 'ok' : 'OVER',
  ]);
  const header = ['figure', 'SQLite', 'PostgreSQL', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '', ...report.notes].join('\n');
}

if (process.argv[1]?.endsWith('bench/storage.ts')) {
  console.log('Zega storage benchmark…');
  const report = await runStorageBench({ log: (line) => console.log(line) });
  console.log(`\n${formatReport(report)}`);
}
