/**
 * `npm run eval -- hanna [--data DIR] [--fit]`: the HANNA figures of docs/scoring.md, re-made on
 * any copy of the data (default: ../shared/data/hanna-dev next to the repository). `--fit` also
 * prints the story model fitted on every prompt, the constants STORY_MODEL holds.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { evaluateHanna, formatHannaReport, loadHanna } from './hanna.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_HANNA_DIR = resolve(REPO_ROOT, '../shared/data/hanna-dev');

export async function runEval(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: { data: { type: 'string' }, fit: { type: 'boolean' } } });
  if (positionals[0] !== 'hanna' || positionals.length > 1) {
    out('Usage: npm run eval -- hanna [--data DIR] [--fit]');
    return 2;
  }
  const report = evaluateHanna(await loadHanna(values.data ?? DEFAULT_HANNA_DIR));
  out(formatHannaReport(report));
  if (values.fit) out(`\nStory model fitted on all ${report.prompts} prompts (STORY_MODEL):\n${JSON.stringify(report.fitted, null, 2)}`);
  return 0;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1]);
if (isMain) {
  runEval(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`eval: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
