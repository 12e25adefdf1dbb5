/**
 * `npm run bench -- throughput`: the six scenarios of issue 10, each figure printed with its bound
 * and the ratio, on the loopback simulators (real SDKs, real HTTP). Quotas are scaled (6× rosters,
 * or a 20-s rate window) so the whole part ends in a few minutes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { startRemoteSimulators, type RemoteSimulators, type RequestSummary } from './simProcess.ts';
import { buildTeachers, DEFAULT_ROSTER, type ProviderConnections, type RosterEntry } from '../src/teachers/roster.ts';
import type { Teacher } from '../src/teachers/types.ts';
import { startTraining, type TrainerDeps } from '../src/trainer/run.ts';
import type { Genre } from '../src/trainer/genres.ts';
import type { RunOptions, TrainingResult } from '../src/trainer/types.ts';
import { RecordingStore } from '../test/helpers/recordingStore.ts';

const run = promisify(execFile);
const MINUTE = 60_000;

export interface Figure {
  scenario: string;
  figure: string;
  value: number;
  /** The ideal (or the peer's figure, or the limit). */
  bound: number;
  /** The ratio value ÷ bound must be ≤ target (`max`) or ≥ target (`min`). */
  target: number;
  kind: 'max' | 'min';
  unit: string;
  ok?: boolean;
}

const figures: Figure[] = [];
function report(f: Figure): void {
  const ratio = f.bound === 0 ? (f.value === 0 ? 0 : Number.POSITIVE_INFINITY) : f.value / f.bound;
  const ok = f.kind === 'max' ? (f.bound === 0 ? f.value === 0 : ratio <= f.target) : ratio >= f.target;
  figures.push({ ...f, ok });
  const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));
  const target = f.bound === 0 ? 'must be 0' : `target ratio ${f.kind === 'max' ? '≤' : '≥'} ${f.target}`;
  console.log(`  ${ok ? 'ok  ' : 'MISS'} ${f.figure}: ${fmt(f.value)}${f.unit} · bound ${fmt(f.bound)}${f.unit} · ratio ${f.bound === 0 ? '–' : ratio.toFixed(2)} (${target})`);
}

/** Largest example rate x with Σ min(rᵢ, x) ≥ m·x (rᵢ: each teacher's sustainable call rate). */
export function quotaBound(rates: number[], minCandidates: number): number {
  let lo = 0;
  let hi = rates.reduce((a, b) => a + b, 0);
  for (let i = 0; i < 100; i++) {
    const x = (lo + hi) / 2;
    if (rates.reduce((sum, r) => sum + Math.min(r, x), 0) >= minCandidates * x) lo = x;
    else hi = x;
  }
  return lo;
}

function connectionsOf(sims: RemoteSimulators): ProviderConnections {
  const env = sims.env;
  return {
    gemini: { apiKey: env.GEMINI_API_KEY, baseUrl: env.GEMINI_BASE_URL },
    groq: { apiKey: env.GROQ_API_KEY, baseUrl: env.GROQ_BASE_URL },
    huggingface: { apiKey: env.HF_TOKEN, baseUrl: env.HF_BASE_URL },
    ollama: { baseUrl: env.OLLAMA_HOST },
  };
}

/** The requests a teacher's model received (Ollama names models with a tag). */
async function requestsOf(sims: RemoteSimulators, entry: RosterEntry, from = 0): Promise<RequestSummary[]> {
  const model = entry.provider === 'ollama' ? `${entry.model}:latest` : entry.model;
  return (await sims.requests(entry.provider)).filter((r) => (r.model === model || r.model === entry.model) && r.at >= from);
}

const options = (over: Partial<RunOptions>): RunOptions => ({ userId: 'bench', examples: 100, genres: [], save: false, memory: false, voting: 'consensus', seed: 'bench', ...over });

async function timedRun(opts: RunOptions, deps: Omit<TrainerDeps, 'store'>, stopAfterMs?: number): Promise<{ result: TrainingResult; wallMs: number }> {
  const started = performance.now();
  const handle = startTraining(opts, { ...deps, store: new RecordingStore() });
  const timer = stopAfterMs ? setTimeout(() => handle.cancel(), stopAfterMs) : undefined;
  const result = await handle.done;
  clearTimeout(timer);
  return { result, wallMs: performance.now() - started };
}

async function withSims<T>(fn: (sims: RemoteSimulators) => Promise<T>): Promise<T> {
  const sims = await startRemoteSimulators();
  try {
    return await fn(sims);
  } finally {
    await sims.close();
  }
}

// 1. Quota-bound ------------------------------------------------------------------------------

async function quotaBound6x(): Promise<void> {
  console.log('\n1. Quota-bound: 6×-scaled roster, each simulator enforcing its rpm, 100–300 ms latency, RUN_CONCURRENCY 32');
  const rpm: Record<string, number> = { 'gemini-2.5-flash': 60, 'gemini-2.5-flash-lite': 90, 'ollama-llama3.2': 120 };
  const roster = DEFAULT_ROSTER.map((e) => ({ ...e, rpm: rpm[e.id] ?? 180 }));
  const x = quotaBound(roster.map((e) => e.rpm), 3); // per minute
  const examples = Math.round(x); // about a minute of work
  await withSims(async (sims) => {
    for (const e of roster) await sims.setBehavior(e.provider, e.model, { latencyMs: { min: 100, max: 300 }, quota: { requests: e.rpm } });
    const teachers = buildTeachers(roster, connectionsOf(sims), { timeoutMs: 10_000 });
    const t0 = Date.now();
    const { result, wallMs } = await timedRun(options({ examples }), { teachers, concurrency: 32 });
    const boundMs = (examples / x) * MINUTE;
    console.log(`  x = ${x.toFixed(1)} examples/min (Σ min(rᵢ, x) = 3x), N = ${examples}, done ${result.successful}/${examples}`);
    report({ scenario: '1', figure: 'wall time', value: wallMs / 1000, bound: boundMs / 1000, target: 1.15, kind: 'max', unit: ' s' });
    for (const e of roster) {
      const reqs = await requestsOf(sims, e, t0);
      const accepted = reqs.filter((r) => r.status === 200).length;
      const achieved = (accepted / wallMs) * MINUTE;
      const throttled = reqs.filter((r) => r.status === 429);
      report({ scenario: '1', figure: `${e.id} call rate`, value: achieved, bound: e.rpm, target: 0.85, kind: 'min', unit: '/min' });
      const at = (r: RequestSummary | undefined) => (((r?.at ?? t0) - t0) / 1000).toFixed(1);
      console.log(`       ${e.id}: ${accepted} accepted, ${throttled.length} × 429${throttled.length ? ` (first at ${at(throttled[0])} s, last at ${at(throttled.at(-1))} s)` : ''}`);
    }
  });
}

// 2. Latency-bound ----------------------------------------------------------------------------

async function latencyBound(): Promise<void> {
  console.log('\n2. Latency-bound: no quotas, 200 ms latency, N = 100');
  await withSims(async (sims) => {
    await sims.setBehavior('*', '*', { latencyMs: 200 });
    const teachers = buildTeachers(DEFAULT_ROSTER, connectionsOf(sims), { unlimited: true, timeoutMs: 10_000 });
    await timedRun(options({ examples: 8 }), { teachers, concurrency: 8 }); // warm-up: JIT, sockets
    const dir = mkdtempSync(join(tmpdir(), 'zega-bench-'));
    try {
      for (const c of [1, 3, 8, 16, 32]) {
        const { result, wallMs } = await timedRun(options({ examples: 100 }), { teachers, concurrency: c });
        const bound = Math.ceil(100 / c) * 0.2;
        const plainMs = await plainPeer(sims, 100, c, join(dir, `plain-${c}.jsonl`));
        report({ scenario: '2', figure: `C=${c} wall (${result.successful}/100 ok)`, value: wallMs / 1000, bound, target: 1.15, kind: 'max', unit: ' s' });
        console.log(`       the plain script, same run: ${(plainMs / 1000).toFixed(2)} s (ratio ${(plainMs / 1000 / bound).toFixed(2)}); Zega ÷ plain ${(wallMs / plainMs).toFixed(2)}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** The plain script's own time for the same work against the same simulators. */
async function plainPeer(sims: RemoteSimulators, examples: number, concurrency: number, outFile: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['bench/plainScript.mjs', String(examples), String(concurrency), outFile], { env: { ...process.env, ...sims.env } });
  return (JSON.parse(stdout.trim().split('\n').at(-1) as string) as { elapsedMs: number }).elapsedMs;
}

// 3. Learned limits ---------------------------------------------------------------------------

async function learnedLimits(): Promise<void> {
  const windowMs = 20_000; // time scaled 1:3: "two minutes" are two of these 20-s windows × 3 = 40 s
  console.log(`\n3. Learned limits: rate window scaled to ${windowMs / 1000} s (1:3); roster rpm 30 for both; real limit 90 (3×, Groq) and 10 (⅓, Gemini) per window`);
  const roster = DEFAULT_ROSTER.map((e) => ({ ...e, rpm: e.id === 'groq-llama-3.3-70b' || e.id === 'gemini-2.5-flash' ? 30 : undefined }));
  const up = roster.find((e) => e.id === 'groq-llama-3.3-70b') as RosterEntry;
  const down = roster.find((e) => e.id === 'gemini-2.5-flash') as RosterEntry;
  await withSims(async (sims) => {
    // 1 s answers at RUN_CONCURRENCY 8: about 8 examples a second, more than either limit, all along.
    await sims.setBehavior('*', '*', { latencyMs: 1_000 });
    await sims.setBehavior('groq', up.model, { quota: { requests: 90, windowMs } });
    await sims.setBehavior('gemini', down.model, { quota: { requests: 10, windowMs } });
    const teachers = buildTeachers(roster, connectionsOf(sims), { timeoutMs: 10_000, rateWindowMs: windowMs });
    const t0 = Date.now();
    const runFor = 3 * windowMs;
    await timedRun(options({ examples: 1000 }), { teachers, concurrency: 8 }, runFor);
    // "Within two minutes": from 2 scaled minutes (40 s) on, to the end.
    const from = t0 + (2 / 3) * runFor;
    const to = t0 + runFor;
    for (const [entry, real] of [[up, 90], [down, 10]] as const) {
      const reqs = (await requestsOf(sims, entry, from)).filter((r) => r.at <= to);
      const perWindow = (reqs.filter((r) => r.status === 200).length / (to - from)) * windowMs;
      report({ scenario: '3', figure: `${entry.id} rate after 2 (scaled) minutes, real limit ${real}`, value: perWindow, bound: real, target: 0.8, kind: 'min', unit: '/window' });
      report({ scenario: '3', figure: `${entry.id} 429s after 2 (scaled) minutes`, value: reqs.filter((r) => r.status === 429).length, bound: 0, target: 0, kind: 'max', unit: '' });
      const all = await requestsOf(sims, entry, t0);
      const buckets = Array.from({ length: 12 }, (_, i) => all.filter((r) => r.at >= t0 + i * 5_000 && r.at < t0 + (i + 1) * 5_000));
      console.log(`       ${entry.id} per 5 s (accepted/429): ${buckets.map((b) => `${b.filter((r) => r.status === 200).length}/${b.filter((r) => r.status === 429).length}`).join(' ')}`);
      console.log(`       ${entry.id}: ${all.filter((r) => r.status === 429).length} × 429 in all; limiter now ${JSON.stringify(teachers.find((t) => t.id === entry.id)?.limiter?.snapshot())}`);
    }
  });
}

// 4. Faults -----------------------------------------------------------------------------------

async function faults(): Promise<void> {
  const n = 300;
  const c = 8;
  console.log(`\n4. Faults: one teacher never answers (60-s deadline), one answers 503; 200 ms latency, N = ${n}, RUN_CONCURRENCY ${c}`);
  await withSims(async (sims) => {
    await sims.setBehavior('*', '*', { latencyMs: 200 });
    const healthyTeachers = buildTeachers(DEFAULT_ROSTER, connectionsOf(sims), { unlimited: true });
    await timedRun(options({ examples: 8 }), { teachers: healthyTeachers, concurrency: c }); // warm-up
    const healthy = await timedRun(options({ examples: n }), { teachers: healthyTeachers, concurrency: c });
    await sims.injectFault('huggingface', 'Qwen/Qwen2.5-7B-Instruct', 'hang', 100_000);
    await sims.injectFault('groq', 'llama-3.1-8b-instant', 'unavailable', 100_000);
    const teachers = buildTeachers(DEFAULT_ROSTER, connectionsOf(sims), { unlimited: true });
    const { result, wallMs } = await timedRun(options({ examples: n }), { teachers, concurrency: c });
    const boundS = Math.ceil(n / c) * 0.2;
    console.log(`  bound: the healthy teachers' latency bound ceil(N/C) × 0.2 s = ${boundS.toFixed(1)} s; the same run without faults took ${(healthy.wallMs / 1000).toFixed(2)} s`);
    report({ scenario: '4', figure: `examples accounted for (${result.successful} ok, ${result.failed} failed)`, value: result.successful + result.failed, bound: n, target: 1, kind: 'min', unit: '' });
    report({ scenario: '4', figure: 'wall time', value: wallMs / 1000, bound: boundS, target: 1.3, kind: 'max', unit: ' s' });
    report({ scenario: '4', figure: 'wall time against the same run without faults', value: wallMs / 1000, bound: healthy.wallMs / 1000, target: 1.3, kind: 'max', unit: ' s' });
    for (const change of result.training_stats.teacher_changes ?? []) console.log(`       ${change.teacherId} ${change.change} at ${(change.atMs / 1000).toFixed(1)} s${change.reason ? `: ${change.reason}` : ''}`);
  });
}

// 5. Overhead ---------------------------------------------------------------------------------

interface ProcessCost {
  wallS: number;
  cpuS: number;
  peakMb: number;
  stdout: string;
}

/** Runs a command under /usr/bin/time for its wall, CPU and peak memory. */
async function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<ProcessCost> {
  const { stdout, stderr } = await run('/usr/bin/time', ['-f', 'ZEGA_TIME %e %U %S %M', cmd, ...args], { env, maxBuffer: 64 * 1024 * 1024 });
  const line = stderr.split('\n').find((l) => l.startsWith('ZEGA_TIME')) as string;
  const [, wall, user, sys, kb] = line.split(' ').map(Number) as [number, number, number, number, number];
  return { wallS: wall, cpuS: user + sys, peakMb: kb / 1024, stdout };
}

async function overhead(): Promise<void> {
  const n = 1000;
  const c = 8;
  console.log(`\n5. Overhead: ${n} examples × 7 teachers at zero latency, RUN_CONCURRENCY ${c}; Zega's compiled CLI against a plain script, same simulators, same run`);
  await run(process.execPath, ['scripts/ensure-build.mjs']);
  const dir = mkdtempSync(join(tmpdir(), 'zega-bench-'));
  try {
    await withSims(async (sims) => {
      const env = { ...process.env, ...sims.env, RUN_CONCURRENCY: String(c), FINE_TUNE_EVERY: '10000', LOG_LEVEL: 'silent' };
      const plain = await measure(process.execPath, ['bench/plainScript.mjs', String(n), String(c), join(dir, 'plain.jsonl')], env);
      const sdk = await measure(process.execPath, ['bench/sdkScript.mjs', String(n), String(c), join(dir, 'sdk.jsonl')], env);
      const sdkFailures = (JSON.parse(sdk.stdout.trim().split('\n').at(-1) ?? '{}') as { failures?: number }).failures;
      if (sdkFailures !== 0) throw new Error(`the SDK-only peer's calls failed (${String(sdkFailures)}): its figure would flatter Zega`);
      const zegaArgs = ['dist/cli/index.js', 'train', '--examples', String(n), '--json', '--seed', 'bench'];
      const memory = await measure(process.execPath, zegaArgs, { ...env, STORAGE_URL: 'memory://' });
      const sqlite = await measure(process.execPath, zegaArgs, { ...env, STORAGE_URL: `sqlite://${join(dir, 'zega.sqlite')}` });
      console.log(`  plain script: wall ${plain.wallS.toFixed(2)} s, CPU ${plain.cpuS.toFixed(2)} s, peak ${plain.peakMb.toFixed(0)} MB`);
      // The floor the fixed choice of official SDKs sets: the same calls through them, nothing else.
      console.log(
        `  SDK-only script (the same calls through the four official SDKs): wall ${sdk.wallS.toFixed(2)} s, CPU ${sdk.cpuS.toFixed(2)} s, peak ${sdk.peakMb.toFixed(0)} MB` +
          ` — ${(sdk.cpuS / plain.cpuS).toFixed(2)}× the plain script's CPU, ${(sdk.wallS / plain.wallS).toFixed(2)}× its wall`,
      );
      for (const [label, cost] of [['Zega, memory store', memory], ['Zega, SQLite store', sqlite]] as const) {
        console.log(`  ${label}: wall ${cost.wallS.toFixed(2)} s, CPU ${cost.cpuS.toFixed(2)} s, peak ${cost.peakMb.toFixed(0)} MB — ${(cost.cpuS / sdk.cpuS).toFixed(2)}× the SDK-only script's CPU`);
        report({ scenario: '5', figure: `${label}: wall against the plain script's`, value: cost.wallS, bound: plain.wallS, target: 1.5, kind: 'max', unit: ' s' });
        report({ scenario: '5', figure: `${label}: CPU against the plain script's`, value: cost.cpuS, bound: plain.cpuS, target: 1.5, kind: 'max', unit: ' s' });
        report({ scenario: '5', figure: `${label}: peak memory`, value: cost.peakMb, bound: 250, target: 1, kind: 'max', unit: ' MB' });
      }
    });
    const starts = async (cmd: string, args: string[]) => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await run('sh', ['-c', `${cmd} ${args.join(' ')} < /dev/null`]);
        times.push((performance.now() - t) / 1000);
      }
      return times.sort((a, b) => a - b)[2] as number;
    };
    report({ scenario: '5', figure: 'CLI start, `node dist/cli/index.js score` on empty input (median of 5)', value: await starts(process.execPath, ['dist/cli/index.js', 'score']), bound: 1, target: 1, kind: 'max', unit: ' s' });
    report({ scenario: '5', figure: 'CLI start, `npm run --silent cli -- score` on empty input (median of 5)', value: await starts('npm', ['run', '--silent', 'cli', '--', 'score']), bound: 1, target: 1, kind: 'max', unit: ' s' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// 6. Auto teachers ----------------------------------------------------------------------------

async function autoTeachers(): Promise<void> {
  const n = 250;
  const genres: Genre[] = ['Horror', 'Mystery', 'Romance', 'Science Fiction', 'Comedy'];
  console.log(`\n6. Auto teachers: simulated teachers whose quality differs by genre; N = ${n} over ${genres.length} genres, all 7 against --teachers auto`);
  await withSims(async (sims) => {
    await sims.setBehavior('*', '*', { latencyMs: 20, textPreset: 'genre-strengths' });
    const teachers: Teacher[] = buildTeachers(DEFAULT_ROSTER, connectionsOf(sims), { unlimited: true });
    const all = await timedRun(options({ examples: n, genres }), { teachers, concurrency: 8 });
    const auto = await timedRun(options({ examples: n, genres, teachers: 'auto' }), { teachers, concurrency: 8 });
    const allCalls = all.result.training_stats.calls;
    const autoCalls = auto.result.training_stats.calls;
    console.log(`  all 7: ${allCalls} calls, average quality ${all.result.average_quality.toFixed(2)}; auto: ${autoCalls} calls (saved ${auto.result.training_stats.calls_saved}), average quality ${auto.result.average_quality.toFixed(2)}`);
    report({ scenario: '6', figure: 'teacher calls with auto against all 7', value: autoCalls, bound: allCalls, target: 0.75, kind: 'max', unit: '' });
    report({ scenario: '6', figure: 'average quality with auto against all 7', value: auto.result.average_quality, bound: all.result.average_quality, target: 0.98, kind: 'min', unit: '' });
  });
}

export async function runThroughputBench(only?: string): Promise<Figure[]> {
  const scenarios: [string, () => Promise<void>][] = [
    ['1', quotaBound6x],
    ['2', latencyBound],
    ['3', learnedLimits],
    ['4', faults],
    ['5', overhead],
    ['6', autoTeachers],
  ];
  for (const [id, scenario] of scenarios) if (!only || only.split(',').includes(id)) await scenario();
  return figures;
}

