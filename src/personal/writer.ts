/**
 * /write: a story from the user's personal model, with the most relevant stories of the user's
 * memory (BM25, top 3) as style examples in the request.
 *
 * Who writes: the personal model (`zega-<user>-v<N>` on Ollama, with the user's best settings)
 * when one was built; otherwise, or when it does not answer, the teacher that wins most for this
 * user in the genre (then overall, then across all users), with the settings whose wins scored
 * best. Each attempt goes through the Teacher interface, so failures come back classified and the
 * next candidate is tried (at most MAX_ATTEMPTS).
 */
import type { MemoryHit, ZegaStore } from '../storage/index.ts';
import type { FineTuneRound } from '../storage/fineTune.ts';
import { PERSONAL_MODEL_PREFIX } from '../storage/modelStats.ts';
import { createOllamaTeacher } from '../teachers/ollama.ts';
import { friendlyFailure } from '../teachers/friendly.ts';
import type { ChatMessage, GenerationSettings, Teacher } from '../teachers/types.ts';
import { isGenre, type Genre } from '../trainer/genres.ts';
import { storySystemPrompt } from '../trainer/systemPrompt.ts';
import { toSettings } from './bestParams.ts';
import { DEFAULT_GENERATION, favouriteGenres, requestTurn, type StyleExample } from './modelfile.ts';

/** Memory entries offered as style examples. */
export const STYLE_EXAMPLES = 3;
/** Models tried before giving up (the personal model counts as one). */
export const MAX_ATTEMPTS = 3;
/** The genre when the user named none and nothing suggests one. */
export const FALLBACK_GENRE: Genre = 'Short Story';
/** Longest /write prompt. */
export const MAX_PROMPT = 1000;

export interface WriteRequest {
  userId: string;
  prompt: string;
  genre?: Genre;
  signal?: AbortSignal;
}

export interface WriterDeps {
  store: Pick<ZegaStore, 'memory' | 'stats' | 'fineTune'>;
  /** Enabled teachers, roster order. */
  teachers: readonly Teacher[];
  /** OLLAMA_HOST (`off` disables the personal model). */
  ollamaHost: string;
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

export interface StyleSource {
  genre: Genre;
  prompt: string;
  quality: number;
  storyId?: string;
}

export type Author =
  | { kind: 'personal'; model: string; version: number }
  | { kind: 'teacher'; teacherId: string; why: string };

export interface WriteResult {
  text: string;
  genre: Genre;
  /** Whether the genre was chosen by the user. */
  genreGiven: boolean;
  author: Author;
  /** The story's winner id: the teacher id, or `personal:<model>`. */
  teacherId: string;
  settings: GenerationSettings;
  styleSources: StyleSource[];
  latencyMs: number;
  /** Why an earlier choice did not write it (personal model down, teacher failed), in friendly words. */
  notes: string[];
  /** The same failures with the providers' own (redacted) messages: for the log, never for users. */
  problems: string[];
}

/** `message` and `notes` are friendly and may be shown; `problems` are the details for the log. */
export type WriteOutcome = { ok: true; result: WriteResult } | { ok: false; message: string; notes: string[]; problems: string[] };

export const WRITER_INSTRUCTION = 'When example stories are given, match their style, not their plot.';

/** The system turn a teacher gets for /write: the training brief plus the style instruction. */
export function writerSystemPrompt(genre: Genre): string {
  return `${storySystemPrompt(genre)} ${WRITER_INSTRUCTION}`;
}

interface Candidate {
  teacher: Teacher;
  settings: GenerationSettings;
  why: string;
}

/** Enabled teachers in the order /write tries them, each with its best settings for this user. */
export async function teacherCandidates(userId: string, genre: Genre, deps: WriterDeps): Promise<Candidate[]> {
  const enabled = new Map(deps.teachers.map((t) => [t.id, t]));
  const { stats } = deps.store;
  const order: { id: string; why: string }[] = [];
  const scopes = [
    { query: { scope: 'user' as const, id: userId, genre }, why: `wins most for you in ${genre}` },
    { query: { scope: 'user' as const, id: userId }, why: 'wins most for you' },
    { query: { scope: 'global' as const, genre }, why: `wins most in ${genre}` },
    { query: { scope: 'global' as const }, why: 'wins most overall' },
  ];
  for (const { query, why } of scopes) {
    const rows = await stats.leaderboard(query);
    for (const row of rows) if (row.wins > 0 && enabled.has(row.teacherId) && !order.some((o) => o.id === row.teacherId)) order.push({ id: row.teacherId, why });
  }
  for (const t of deps.teachers) if (!order.some((o) => o.id === t.id)) order.push({ id: t.id, why: 'available' });

  const best = await stats.bestSettings({ scope: 'user', id: userId });
  return order.map(({ id, why }) => {
    const teacher = enabled.get(id) as Teacher;
    const inGenre = best.perGenre[genre];
    const settings = inGenre && inGenre.teacherId === id ? inGenre.settings : (best.perTeacher[id]?.settings ?? teacher.defaults);
    return { teacher, settings: { ...settings }, why };
  });
}

/** The genre to write in: the user's, else the best memory hit's, else their favourite, else Short Story. */
export function chooseGenre(given: Genre | undefined, hits: readonly MemoryHit[], round: FineTuneRound | undefined): Genre {
  if (given) return given;
  const fromMemory = hits[0]?.entry.genre;
  if (fromMemory && isGenre(fromMemory)) return fromMemory;
  return favouriteGenres(round?.dataset.genres ?? {}, {}, 1)[0] ?? FALLBACK_GENRE;
}

/** The log line of one failed attempt: the provider's own (already redacted) message. */
function problemLine(who: string, failure: { kind: string; message: string }): string {
  return `${who}: ${failure.kind}: ${failure.message}`;
}

export async function writeStory(request: WriteRequest, deps: WriterDeps): Promise<WriteOutcome> {
  const started = Date.now();
  const { store } = deps;
  const prompt = request.prompt.trim().slice(0, MAX_PROMPT);
  // A storage error is thrown, not turned into "no memory": the caller logs it and says so.
  const [round, hits] = await Promise.all([
    store.fineTune.latestRound(request.userId),
    store.memory.search(request.userId, request.genre ? `${prompt} ${request.genre}` : prompt, STYLE_EXAMPLES),
  ]);
  const genre = chooseGenre(request.genre, hits, round);
  const styleExamples: StyleExample[] = hits.map((h) => ({ genre: h.entry.genre, text: h.entry.text }));
  const styleSources: StyleSource[] = hits.map((h) => ({
    genre: h.entry.genre,
    prompt: h.entry.prompt,
    quality: h.entry.quality,
    ...(h.entry.storyId ? { storyId: h.entry.storyId } : {}),
  }));
  const turn = requestTurn(prompt, genre, styleExamples);
  const notes: string[] = [];
  const problems: string[] = [];
  const done = (text: string, author: Author, teacherId: string, settings: GenerationSettings): WriteOutcome => ({
    ok: true,
    result: { text: text.trim(), genre, genreGiven: request.genre !== undefined, author, teacherId, settings, styleSources, latencyMs: Date.now() - started, notes, problems },
  });

  let attempts = 0;
  const personal = round?.current;
  if (personal && deps.ollamaHost !== 'off') {
    attempts += 1;
    const settings = round.bestParams.overall ? toSettings(round.bestParams.overall) : toSettings({ generation_params: DEFAULT_GENERATION });
    const teacher = createOllamaTeacher({
      id: `${PERSONAL_MODEL_PREFIX}${personal.model}`,
      provider: 'ollama',
      model: personal.model,
      defaults: settings,
      baseUrl: deps.ollamaHost,
      ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}),
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
    // No system turn: the model's own SYSTEM (and its few-shot MESSAGEs) apply.
    const outcome = await teacher.generate({ messages: [{ role: 'user', content: turn }], settings, ...(request.signal ? { signal: request.signal } : {}) });
    if (outcome.ok) return done(outcome.generation.text, { kind: 'personal', model: personal.model, version: personal.version }, teacher.id, settings);
    notes.push(friendlyFailure(`Your personal model \`${personal.model}\``, outcome.failure));
    problems.push(problemLine(personal.model, outcome.failure));
  }

  const messages: ChatMessage[] = [
    { role: 'system', content: writerSystemPrompt(genre) },
    { role: 'user', content: turn },
  ];
  for (const candidate of await teacherCandidates(request.userId, genre, deps)) {
    if (attempts >= MAX_ATTEMPTS || request.signal?.aborted) break;
    attempts += 1;
    const outcome = await candidate.teacher.generate({ messages, settings: candidate.settings, ...(request.signal ? { signal: request.signal } : {}) });
    if (outcome.ok) return done(outcome.generation.text, { kind: 'teacher', teacherId: candidate.teacher.id, why: candidate.why }, candidate.teacher.id, candidate.settings);
    notes.push(friendlyFailure(`\`${candidate.teacher.id}\``, outcome.failure));
    problems.push(problemLine(candidate.teacher.id, outcome.failure));
  }

  if (attempts === 0) {
    return {
      ok: false,
      notes,
      problems,
      message: 'No model can write right now: you have no personal model yet and no teacher is configured. Train with `/autotrain start` once a provider is set up.',
    };
  }
  return { ok: false, notes, problems, message: `No model could write it this time: ${notes.join('; ')}.` };
}
