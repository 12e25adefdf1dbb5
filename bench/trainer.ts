/**
 * Trainer benchmark: pure scoring/voting throughput, and whole runs through the 7 simulated
 * teachers (real SDKs, loopback HTTP). Figures are reported as rates and ratios, since absolute
 * times depend on the machine and its load.
 */
import { performance } from 'node:perf_hooks';
import { buildTeachers, DEFAULT_ROSTER } from '../src/teachers/roster.ts';
import { startTraining } from '../src/trainer/run.ts';
import { PROMPTS } from '../src/trainer/prompts.ts';
import { textQuality } from '../src/trainer/scoring.ts';
import { consensusVote } from '../src/trainer/voting.ts';
import { simulatedStory } from '../src/simulators/storyText.ts';
import { startProviderSimulators } from '../src/simulators/index.ts';
import { RecordingStore } from '../test/helpers/recordingStore.ts';

export interface TrainerBenchReport {
  textQualityPerSecond: number;
  consensusVotesPerSecond: number;
  /** The same with the writing prompt given, so the story score's relevance signal is measured too. */
  consensusVotesWithPromptPerSecond: number;
  examplesPerSecondNoLatency: number;
  /** Wall time of a run at concurrency 1 ÷ at concurrency 3, with 50 ms provider latency. */
  concurrencySpeedup: number;
}

function rate(iterations: number, fn: (i: number) => void): number {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn(i);
  return Math.round(iterations / ((performance.now() - start) / 1000));
}

export async function runTrainerBench(): Promise<TrainerBenchReport> {
  const texts = Array.from({ length: 1000 }, (_, i) => simulatedStory({ model: `m${i % 7}`, prompt: `prompt ${i}`, system: '' }));
  const textQualityPerSecond = rate(20_000, (i) => textQuality(texts[i % texts.length] as string));
  const consensusVotesPerSecond = rate(2_000, (i) =>
    consensusVote(Array.from({ length: 7 }, (_, k) => ({ teacherId: `t${k}`, text: texts[(i * 7 + k) % texts.length] as string }))),
  );

  const prompts = PROMPTS.map((p) => p.text);
  const votesWithPrompt = (i: number) =>
    consensusVote(
      Array.from({ length: 7 }, (_, k) => ({ teacherId: `t${k}`, text: texts[(i * 7 + k) % texts.length] as string })),
      { prompt: prompts[i % prompts.length] as string },
    );
  votesWithPrompt(0); // loads the word frequencies once, as the first scored example of a process does
  const consensusVotesWithPromptPerSecond = rate(2_000, votesWithPrompt);

  const sims = await startProviderSimulators();
  try {
    const connections = sims.connections;
    const teachers = buildTeachers(DEFAULT_ROSTER, connections, { unlimited: true });
    const timedRun = async (examples: number, concurrency: number) => {
      const start = performance.now();
      const result = await startTraining(
        { userId: 'bench', examples, genres: [], save: true, memory: true, voting: 'consensus', seed: 'bench' },
        { teachers, store: new RecordingStore(), concurrency },
      ).done;
      if (result.successful !== examples) throw new Error(`bench run lost examples: ${result.successful}/${examples}`);
      return performance.now() - start;
    };
    await timedRun(10, 3); // warm-up: JIT, connection pools
    const noLatencyMs = await timedRun(200, 8);
    for (const sim of sims.all()) sim.setBehavior('*', { latencyMs: 50 });
    const serialMs = await timedRun(30, 1);
    const parallelMs = await timedRun(30, 3);
    return {
      textQualityPerSecond,
      consensusVotesPerSecond,
      consensusVotesWithPromptPerSecond,
      examplesPerSecondNoLatency: Math.round((200 / noLatencyMs) * 1000),
      concurrencySpeedup: Math.round((serialMs / parallelMs) * 100) / 100,
    };
  } finally {
    await sims.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  void runTrainerBench().then((r) => console.table(r));
}
