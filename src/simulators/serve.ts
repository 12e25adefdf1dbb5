/**
 * `npm run simulators`: starts the four loopback provider simulators and prints the settings that
 * point Zega at them, so anyone can run `cli train` (or the bot) offline, without API keys. Runs
 * until Ctrl-C or SIGTERM.
 */
import { startProviderSimulators } from './index.ts';

/** The lines to paste: `export NAME=value`, one per setting, in a stable order. */
export function exportLines(env: Record<string, string>): string[] {
  return Object.entries(env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `export ${name}=${value}`);
}

async function main(): Promise<void> {
  const sims = await startProviderSimulators();
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out('Zega provider simulators (Gemini, Groq, Hugging Face, Ollama) listen on 127.0.0.1. Ctrl-C stops them.');
  out('Paste these lines into another shell (or put them in .env without "export "):');
  out();
  for (const line of exportLines(sims.env)) out(line);
  out();
  out('then, for example:  npm run --silent cli -- train --examples 5');
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void sims.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`simulators failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
