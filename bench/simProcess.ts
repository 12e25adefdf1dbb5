/**
 * The provider simulators in a process of their own, steered over IPC, so a benchmark measures
 * Zega's own CPU (real providers are not in our process either) and the simulators get the other core.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SimBehavior, SimFault, SimTextContext } from '../src/simulators/common.ts';
import { startProviderSimulators, type ProviderSimulators } from '../src/simulators/index.ts';
import { simulatedStory } from '../src/simulators/storyText.ts';

export type ProviderName = 'gemini' | 'groq' | 'huggingface' | 'ollama';

/** Behaviour that crosses the process boundary: texts are named presets, not functions. */
export type RemoteBehavior = Omit<SimBehavior, 'text'> & { textPreset?: 'genre-strengths' };

export interface RequestSummary {
  model?: string;
  at: number;
  status?: number;
}

type Command =
  | { op: 'setBehavior'; provider: ProviderName | '*'; model: string; behavior: RemoteBehavior }
  | { op: 'injectFault'; provider: ProviderName; model: string; fault: SimFault; count: number }
  | { op: 'requests'; provider: ProviderName }
  | { op: 'reset' };

/** Each simulated model writes well in a few genres and poorly in the others (scenario 6). */
const STRENGTHS: Record<string, string[]> = {
  'gemini-2.5-flash': ['horror', 'mystery'],
  'gemini-2.5-flash-lite': ['romance'],
  'llama-3.3-70b-versatile': ['horror', 'science fiction'],
  'llama-3.1-8b-instant': ['comedy'],
  'Qwen/Qwen2.5-7B-Instruct': ['mystery', 'romance', 'science fiction'],
  'mistralai/Mistral-7B-Instruct-v0.3': ['comedy', 'horror'],
  'llama3.2:latest': ['science fiction', 'romance', 'comedy', 'mystery'],
};

function genreStrengths(ctx: SimTextContext): string {
  const genre = /author of (.+?) writing/.exec(ctx.system)?.[1] ?? '';
  return (STRENGTHS[ctx.model] ?? []).includes(genre) ? simulatedStory(ctx) : `It was a ${genre} day for ${ctx.model}. Nothing much happened.`;
}

function apply(sims: ProviderSimulators, command: Command): unknown {
  switch (command.op) {
    case 'setBehavior': {
      const { textPreset, ...rest } = command.behavior;
      const behavior: SimBehavior = { ...rest, ...(textPreset === 'genre-strengths' ? { text: genreStrengths } : {}) };
      for (const sim of command.provider === '*' ? sims.all() : [sims[command.provider]]) sim.setBehavior(command.model, behavior);
      return null;
    }
    case 'injectFault':
      sims[command.provider].injectFault(command.model, command.fault, command.count);
      return null;
    case 'requests':
      return sims[command.provider].requests.map((r): RequestSummary => ({ model: r.model, at: r.at, ...(r.status !== undefined ? { status: r.status } : {}) }));
    case 'reset':
      sims.reset();
      return null;
  }
}

export interface RemoteSimulators {
  env: Record<string, string>;
  setBehavior(provider: ProviderName | '*', model: string, behavior: RemoteBehavior): Promise<void>;
  injectFault(provider: ProviderName, model: string, fault: SimFault, count: number): Promise<void>;
  requests(provider: ProviderName): Promise<RequestSummary[]>;
  close(): Promise<void>;
}

export async function startRemoteSimulators(): Promise<RemoteSimulators> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextId = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  const env = await new Promise<Record<string, string>>((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (message: { ready?: Record<string, string>; id?: number; result?: unknown }) => {
      if (message.ready) return resolve(message.ready);
      if (message.id !== undefined) waiting.get(message.id)?.(message.result);
    });
  });
  const send = (command: Command) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      waiting.set(id, (result) => {
        waiting.delete(id);
        resolve(result);
      });
      child.send({ id, command });
    });
  return {
    env,
    setBehavior: async (provider, model, behavior) => void (await send({ op: 'setBehavior', provider, model, behavior })),
    injectFault: async (provider, model, fault, count) => void (await send({ op: 'injectFault', provider, model, fault, count })),
    requests: async (provider) => (await send({ op: 'requests', provider })) as RequestSummary[],
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await exited;
    },
  };
}

if (process.argv.includes('--child') && process.send) {
  const sims = await startProviderSimulators();
  process.on('message', (message: { id: number; command: Command }) => {
    process.send?.({ id: message.id, result: apply(sims, message.command) });
  });
  process.on('disconnect', () => void sims.close().then(() => process.exit(0)));
  process.on('SIGTERM', () => void sims.close().then(() => process.exit(0)));
  process.send({ ready: sims.env });
}
