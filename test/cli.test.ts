/** The command line in-process (score, vote) and as a real subprocess (train --json). */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/index.ts';
import type { CliIo } from '../src/cli/io.ts';
import { textQuality } from '../src/trainer/scoring.ts';
import { storyQuality } from '../src/trainer/storyScore.ts';
import { consensusVote } from '../src/trainer/voting.ts';
import { DEFAULT_ROSTER } from '../src/teachers/roster.ts';
import type { TrainingResult } from '../src/trainer/types.ts';
import { startProviderSimulators, type ProviderSimulators } from '../src/simulators/index.ts';

const run = promisify(execFile);
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), error: (l) => stderr.push(l) };
}

describe('cli score', () => {
  it('scores each valid line with the spec formula and names each bad line, processing the rest', async () => {
    const io = captureIo();
    const code = await runCli(['score', '--input', fixture('score-input.jsonl')], io);
    expect(code).toBe(1);
    const rows = io.stdout.map((l) => JSON.parse(l) as { id: string; text_quality: number; story_quality: number });
    expect(rows.map((r) => r.id)).toEqual(['short', 'rich', 4]);
    expect(rows[0]!.text_quality).toBe(7);
    const rich = JSON.parse(readFileSync(fixture('score-input.jsonl'), 'utf8').split('\n')[1]!) as { text: string };
    expect(rows[1]!.text_quality).toBe(textQuality(rich.text));
    expect(rows[1]!.text_quality).toBe(9.3);
    expect(rows[2]!.text_quality).toBe(7.5);
    // story_quality sits beside the seed formula on every line: the story score of the text.
    expect(Object.keys(rows[0]!)).toEqual(['id', 'text_quality', 'story_quality']);
    expect(rows[1]!.story_quality).toBe(storyQuality(rich.text));
    expect(rows[1]!.story_quality).toBeGreaterThan(rows[0]!.story_quality);
    expect(io.stderr).toEqual([expect.stringMatching(/^line 3: not valid JSON/), expect.stringMatching(/^line 4: text: /)]);
  });
});

describe('cli score with a prompt', () => {
  it('uses the prompt for the relevance signal of the story score', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zega-score-'));
    const text = 'The keeper climbed the lighthouse at dusk and lit the lamp for the boats.';
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, `${JSON.stringify({ id: 1, text, prompt: 'A lighthouse keeper lights the lamp for the boats.' })}\n${JSON.stringify({ id: 2, text, prompt: 'Robots build a spaceship on Mars.' })}\n`);
    const io = captureIo();
    expect(await runCli(['score', '--input', input], io)).toBe(0);
    const [onTopic, offTopic] = io.stdout.map((l) => JSON.parse(l) as { story_quality: number; text_quality: number });
    expect(onTopic!.text_quality).toBe(offTopic!.text_quality);
    expect(onTopic!.story_quality).toBeGreaterThan(offTopic!.story_quality);
  });
});

describe('cli vote', () => {
  it('writes winner, confidence, final quality and votes per line, as consensusVote computes them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zega-vote-'));
    const candidates = [
      { model: 'a', text: 'The old lighthouse keeper climbed the stairs at dusk and lit the lamp for the ships.' },
      { model: 'b', text: 'The old lighthouse keeper climbed the stairs at dusk and lit the great lamp.' },
      { model: 'c', text: 'A dragon ate the moon and nobody noticed until Tuesday.' },
    ];
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, `${JSON.stringify({ prompt_id: 'p1', candidates })}\n{"prompt_id":"p2","candidates":[]}\n{"prompt_id":"p3","candidates":[{"model":"solo","text":"Alone."}]}\n`);
    const io = captureIo();
    const code = await runCli(['vote', '--input', input], io);
    expect(code).toBe(1);
    const [p1, p3] = io.stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
    const expected = consensusVote(candidates.map((c) => ({ teacherId: c.model, text: c.text })));
    expect(p1).toEqual({ prompt_id: 'p1', winner_model: expected.winner, confidence: expected.confidence, final_quality: expected.finalQuality, votes: expected.votes });
    expect(['a', 'b']).toContain(p1!.winner_model);
    expect(p3).toMatchObject({ prompt_id: 'p3', winner_model: 'solo', confidence: 0 });
    expect(io.stderr).toEqual([expect.stringMatching(/^line 2: candidates: needs at least one candidate/)]);
  });
});

describe('cli usage errors', () => {
  it('names the bad option and exits 2', async () => {
    for (const [args, message] of [
      [['train', '--examples', '0'], /--examples must be a whole number from 1 to 1000/],
      [['train', '--examples', '5', '--genres', 'Horror,Cooking'], /Cooking/],
      [['train', '--voting', 'democracy'], /--voting must be consensus, mbr, jury/],
      [['train', '--teachers', 'some'], /--teachers must be all or auto/],
      [['train', '--bogus'], /Unknown option '--bogus'/],
      [['frobnicate'], /Unknown command "frobnicate"/],
    ] as const) {
      const io = captureIo();
      expect(await runCli([...args], io), args.join(' ')).toBe(2);
      expect(io.stderr.join('\n')).toMatch(message);
    }
  });
});

describe('cli train against the simulators', () => {
  let sims: ProviderSimulators;
  beforeAll(async () => {
    sims = await startProviderSimulators();
  });
  afterAll(() => sims.close());

  it('prints only the result JSON on stdout with --json, reporting all 7 teachers', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/index.ts', 'train', '--examples', '8', '--json', '--save', '--seed', 'cli'],
      { env: { ...process.env, ...sims.env, STORAGE_URL: 'memory://', LOG_LEVEL: 'info' }, cwd: new URL('..', import.meta.url).pathname },
    );
    const result = JSON.parse(stdout) as TrainingResult;
    expect(result.successful).toBe(8);
    expect(Object.keys(result.model_performance).sort()).toEqual(DEFAULT_ROSTER.map((t) => t.id).sort());
  });

  it('says what to configure when no teacher is enabled', async () => {
    const io = captureIo();
    const code = await runCli(['train', '--examples', '1'], io, { STORAGE_URL: 'memory://', OLLAMA_HOST: 'off' });
    expect(code).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/No teacher is enabled.*GEMINI_API_KEY.*GROQ_API_KEY.*HF_TOKEN/);
  });
});

describe('cli stories and dataset', () => {
  let sims: ProviderSimulators;
  let dbUrl: string;
  beforeAll(async () => {
    sims = await startProviderSimulators();
    dbUrl = `sqlite://${join(mkdtempSync(join(tmpdir(), 'zega-cli-')), 'zega.sqlite')}`;
    const io = captureIo();
    const code = await runCli(['train', '--examples', '12', '--save', '--user', 'alice', '--seed', 'lib', '--json'], io, { ...sims.env, STORAGE_URL: dbUrl });
    expect(code).toBe(0);
  });
  afterAll(() => sims.close());

  const cli = async (...args: string[]) => {
    const io = captureIo();
    const code = await runCli(args, io, { STORAGE_URL: dbUrl });
    return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
  };

  it('lists, shows and exports the stories a run saved, and only to their owner', async () => {
    const list = await cli('stories', '--user', 'alice', '--json');
    expect(list.code).toBe(0);
    const page = JSON.parse(list.out) as { items: { id: string; title: string }[]; total: number };
    expect(page.total).toBeGreaterThan(0);
    const first = page.items[0]!;

    const shown = await cli('stories', 'show', first.id, '--user', 'alice');
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`# ${first.title}`);

    const stranger = await cli('stories', 'show', first.id, '--user', 'bob');
    expect(stranger.code).toBe(1);
    expect(stranger.err).toMatch(/no story ".+" in the library of user bob/);
    expect(stranger.out).toBe('');

    const jsonl = await cli('stories', 'export', '--user', 'alice', '--format', 'jsonl');
    expect(jsonl.out.split('\n').map((l) => (JSON.parse(l) as { id: string }).id).sort()).toEqual(page.items.map((i) => i.id).sort());
    const md = await cli('stories', 'export', '--user', 'alice', '--format', 'md');
    expect(md.out).toContain(first.title);
  });

  it('exports the fine-tuning dataset as chat-format lines', async () => {
    const { code, out } = await cli('dataset', 'export', '--user', 'alice');
    expect(code).toBe(0);
    for (const line of out.split('\n')) {
      const row = JSON.parse(line) as { messages: { role: string; content: string }[] };
      expect(row.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
      expect(row.messages.every((m) => m.content.length > 0)).toBe(true);
    }
  });

  it('names an unknown user, genre or option', async () => {
    const empty = await cli('stories', '--user', 'nobody');
    expect(empty).toMatchObject({ code: 0, err: '' });
    expect(empty.out).toMatch(/^No stories yet for user nobody/);
    expect((await cli('dataset', 'export', '--user', 'nobody')).err).toMatch(/user nobody has no fine-tuning examples/);
    const genre = await cli('stories', '--user', 'alice', '--genre', 'Cooking');
    expect(genre.code).toBe(2);
    expect(genre.err).toMatch(/unknown genre "Cooking"/);
    expect((await cli('stories', '--genre', 'Horror')).err).toMatch(/--user ID is required/);
  });
});

describe('cli runs and train --resume: whose run is it', () => {
  it('shows a run whose process on this host is gone as interrupted (resumable), and refuses to resume one still live', async () => {
    const { openStore } = await import('../src/storage/index.ts');
    const { hostname } = await import('node:os');
    const url = `sqlite://${join(mkdtempSync(join(tmpdir(), 'zega-owner-')), 'zega.sqlite')}`;
    const store = await openStore(url);
    const plan = { userId: 'owner-user', examples: 5, genres: [], save: false, memory: false, voting: 'consensus' as const, seed: 's' };
    await store.runs.start('run-live', plan, [], `${hostname()}:${process.pid}:test`);
    // A pid far above any the kernel hands out: that process is gone.
    await store.runs.start('run-dead', plan, [], `${hostname()}:99999999:test`);
    await store.close();

    const io = captureIo();
    expect(await runCli(['runs', '--user', 'owner-user', '--json'], io, { STORAGE_URL: url })).toBe(0);
    const rows = Object.fromEntries(io.stdout.map((l) => JSON.parse(l) as { id: string; status: string; resume?: string }).map((r) => [r.id, r]));
    expect(rows['run-dead']).toMatchObject({ status: 'interrupted', resume: 'npm run cli -- train --resume run-dead' });
    expect(rows['run-live']).toMatchObject({ status: 'running' });
    expect(rows['run-live']?.resume).toBeUndefined();

    const refused = captureIo();
    expect(await runCli(['train', '--resume', 'run-live'], refused, { STORAGE_URL: url, OLLAMA_HOST: 'off', GROQ_API_KEY: 'gsk-test' })).toBe(2);
    expect(refused.stderr.join('\n')).toMatch(/run-live is running in another process/);
  });
});

describe('start-up cost', () => {
  // The trace hook prints every module whose URL matches ZEGA_TRACE_IMPORTS as it is resolved.
  const traced = (args: string[]) =>
    run(process.execPath, ['--import', './test/helpers/importTrace.mjs', '--import', 'tsx', ...args], {
      env: { ...process.env, ZEGA_TRACE_IMPORTS: 'node_modules/(discord\\.js|groq-sdk|@google/genai|@huggingface|ollama|keyv)/' },
    });

  it('`cli score` loads no SDK, no storage and not discord.js (the commands are imported lazily)', async () => {
    const child = traced(['src/cli/index.ts', 'score']);
    child.child.stdin?.end();
    const { stderr } = await child;
    expect(stderr).not.toMatch(/IMPORTED/);
    // The same trace does see them where they are loaded.
    const control = await traced(['-e', "await import('./src/bot/client.ts')"]);
    expect(control.stderr).toMatch(/IMPORTED .*discord\.js/);
  });
});
