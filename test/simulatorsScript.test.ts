/**
 * `npm run simulators`: starts the provider simulators in their own process and prints the
 * settings to paste; with exactly those settings `cli train` runs offline. Stopped by SIGINT.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/index.ts';
import type { TrainingResult } from '../src/trainer/types.ts';

describe('npm run simulators', () => {
  it('prints the environment to paste, and cli train runs offline with it', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/simulators/serve.ts'], { cwd: new URL('..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let printed = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          printed += chunk.toString();
          if (printed.includes('then, for example')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited early (${code}): ${printed}`)));
      });
      const env = Object.fromEntries(
        printed
          .split('\n')
          .filter((l) => l.startsWith('export '))
          .map((l) => l.slice('export '.length).split(/=(.*)/s).slice(0, 2) as [string, string]),
      );
      expect(Object.keys(env).sort()).toEqual(['GEMINI_API_KEY', 'GEMINI_BASE_URL', 'GROQ_API_KEY', 'GROQ_BASE_URL', 'HF_BASE_URL', 'HF_TOKEN', 'OLLAMA_HOST', 'RATE_LIMITS']);

      const out: string[] = [];
      const code = await runCli(['train', '--examples', '2', '--json'], { out: (l) => out.push(l), error: () => undefined }, { ...env, STORAGE_URL: 'memory://', LOG_LEVEL: 'silent' });
      expect(code).toBe(0);
      const result = JSON.parse(out.join('\n')) as TrainingResult;
      expect(result.successful).toBe(2);
      expect(Object.keys(result.model_performance)).toHaveLength(7);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGINT');
        await exited;
      }
    }
  });
});
