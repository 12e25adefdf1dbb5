/**
 * `npm run demo`: Zega's main job with zero configuration. Starts loopback simulators of the
 * four provider APIs, points the real SDKs at them, runs 20 examples with save and memory on,
 * and keeps the stories in the embedded SQLite database (a second demo adds to them).
 * `npm run demo -- --resume RUN_ID` continues a demo run that was stopped (Ctrl-C, SIGTERM), again
 * against the simulators.
 */
import { parseArgs } from 'node:util';
import { createRuntime } from './app/runtime.ts';
import { keepStdoutForOutput, processIo, terminalSafe, type CliIo } from './cli/io.ts';
import { DEMO_USER, trainCommand, trainJob } from './cli/train.ts';
import type { ExampleRecord } from './trainer/types.ts';
import { startProviderSimulators, type ProviderSimulators } from './simulators/index.ts';

async function main(): Promise<void> {
  const io = terminalSafe(processIo);
  const { values } = parseArgs({ args: process.argv.slice(2), options: { resume: { type: 'string' } }, strict: true });
  io.out('Zega demo — the 7 teachers are SIMULATED: loopback servers on 127.0.0.1 speak the Gemini,');
  io.out('Groq, Hugging Face and Ollama wire protocols to the real SDKs. No network, no API keys.\n');

  const sims = await startProviderSimulators();
  // The simulators' servers keep the process alive: whatever fails from here on, they are closed.
  try {
    await demo(io, sims, values.resume);
  } finally {
    await sims.close();
  }
}

async function demo(io: CliIo, sims: ProviderSimulators, resume: string | undefined): Promise<void> {
  // Realistic, different response times per provider, so the leaderboard's latency column means something.
  sims.gemini.setBehavior('*', { latencyMs: 120 });
  sims.groq.setBehavior('*', { latencyMs: 40 });
  sims.huggingface.setBehavior('*', { latencyMs: 200 });
  sims.ollama.setBehavior('*', { latencyMs: 80 });

  const runtime = await createRuntime({
    env: {
      ...sims.env,
      STORAGE_URL: process.env.STORAGE_URL ?? 'sqlite://data/zega.sqlite',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
  });
  let best: ExampleRecord | undefined;
  try {
    const job = await trainJob(
      runtime,
      resume !== undefined ? { resume } : { options: { userId: DEMO_USER, examples: 20, genres: [], save: true, memory: true, voting: 'consensus' } },
    );
    const result = await trainCommand(
      job,
      runtime,
      io,
      {
        json: false,
        onEvent: (event) => {
          if (event.type !== 'example' || !event.example.winner) return;
          if (!best?.winner || event.example.winner.finalQuality > best.winner.finalQuality) best = event.example;
        },
      },
    );
    if (best?.winner) {
      io.out(`\nBest story of this run — ${best.genre}, by ${best.winner.teacherId}, quality ${best.winner.finalQuality.toFixed(2)}, story score ${best.winner.storyQuality.toFixed(2)}`);
      io.out(`Prompt: ${best.prompt}\n`);
      io.out(best.winner.text);
    }
    const stored = await runtime.store.stories.count(DEMO_USER);
    const stories = (n: number) => `${n} ${n === 1 ? 'story' : 'stories'}`;
    io.out(`\n${stories(result.stories_saved)} saved by this run; ${stories(stored)} in the library of "${DEMO_USER}" (${runtime.config.STORAGE_URL}).`);
    if (result.status === 'failed') process.exitCode = 1;
  } finally {
    await runtime.close();
  }
}

keepStdoutForOutput();
main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
