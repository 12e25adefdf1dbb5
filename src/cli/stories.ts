/** `cli stories …`: a user's library from the terminal (`cli dataset …` is in dataset.ts). */
import { parseArgs } from 'node:util';
import { parseGenre } from '../trainer/genres.ts';
import type { ZegaStore } from '../storage/index.ts';
import { UsageError, type CliIo } from './io.ts';

const USER_OPTION = { user: { type: 'string' } } as const;

function requireUser(user: string | undefined): string {
  if (!user) throw new UsageError('--user ID is required');
  return user;
}

export async function storiesCommand(args: string[], store: ZegaStore, io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'show') {
    const { values, positionals } = parseArgs({ args: rest, options: USER_OPTION, allowPositionals: true, strict: true });
    const userId = requireUser(values.user);
    const id = positionals[0];
    if (!id) throw new UsageError('stories show needs a story id: stories show ID --user ID');
    const story = await store.stories.get(userId, id);
    if (!story) {
      io.error(`zega: no story "${id}" in the library of user ${userId}`);
      return 1;
    }
    io.out(`# ${story.title}\n`);
    io.out(`${story.genre} · quality ${story.finalQuality.toFixed(2)}${story.storyQuality !== undefined ? ` · story score ${story.storyQuality.toFixed(2)}` : ''} · by ${story.winner.teacherId} · ${new Date(story.createdAt).toISOString()}`);
    io.out(`Prompt: ${story.prompt}\n`);
    io.out(story.text);
    return 0;
  }
  if (sub === 'export') {
    const { values } = parseArgs({ args: rest, options: { ...USER_OPTION, format: { type: 'string' } }, strict: true });
    const userId = requireUser(values.user);
    const format = values.format ?? 'jsonl';
    if (format !== 'jsonl' && format !== 'md') throw new UsageError(`--format must be jsonl or md (got "${format}")`);
    if ((await store.stories.count(userId)) === 0) {
      // An empty library is not an error: nothing to export.
      io.error(`zega: no stories yet for user ${userId}`);
      return 0;
    }
    io.out((await store.stories.export(userId, format)).replace(/\n$/, ''));
    return 0;
  }

  // Default: list.
  const listArgs = sub === 'list' ? rest : args;
  const { values } = parseArgs({
    args: listArgs,
    strict: true,
    options: { ...USER_OPTION, genre: { type: 'string' }, page: { type: 'string' }, sort: { type: 'string' }, json: { type: 'boolean' } },
  });
  const userId = requireUser(values.user);
  const genre = values.genre === undefined ? undefined : parseGenre(values.genre);
  if (values.genre !== undefined && !genre) throw new UsageError(`--genre: unknown genre "${values.genre}"`);
  const page = Number(values.page ?? '1');
  if (!Number.isInteger(page) || page < 1) throw new UsageError(`--page must be a whole number ≥ 1 (got "${values.page}")`);
  const sort = values.sort ?? 'newest';
  if (sort !== 'newest' && sort !== 'best') throw new UsageError(`--sort must be newest or best (got "${sort}")`);
  const result = await store.stories.list({ userId, page, sort, ...(genre ? { genre } : {}) });
  if (values.json) {
    io.out(JSON.stringify(result));
    return 0;
  }
  if (result.total === 0) {
    // An empty library is not an error: say so and succeed.
    io.out(`No stories yet for user ${userId}${genre ? ` in ${genre}` : ''}: train with --save to keep the best ones.`);
    return 0;
  }
  if (result.items.length === 0) {
    io.error(`zega: page ${page} is past the end (${result.pages} pages)`);
    return 1;
  }
  io.out(`Stories of ${userId}${genre ? ` · ${genre}` : ''} · page ${result.page}/${result.pages} · ${result.total} in all`);
  for (const s of result.items) {
    io.out(`${s.id}  ${s.finalQuality.toFixed(2)}  ${s.genre.padEnd(18)}  ${new Date(s.createdAt).toISOString().slice(0, 10)}  ${s.title}`);
  }
  if (result.unreadable > 0) io.out(`(${result.unreadable} ${result.unreadable === 1 ? 'story' : 'stories'} on this page could not be read and ${result.unreadable === 1 ? 'is' : 'are'} not shown)`);
  return 0;
}
