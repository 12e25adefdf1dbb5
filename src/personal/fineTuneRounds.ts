/**
 * Fine-tune rounds. Every `every` (FINE_TUNE_EVERY, default 50) new fine-tuning examples of a
 * user, the training run that crossed the line is followed by a round:
 *
 * 1. the dataset is read once (figures per genre, preference pairs available);
 * 2. the best parameters are computed from the stored winners (bestParams.ts);
 * 3. when Ollama answers, a personal model `zega-<user>-v<N>` is created with Ollama's create API
 *    (FROM the base model, SYSTEM, PARAMETER and MESSAGE from modelfile.ts); the previous version
 *    is deleted from Ollama only once the new one is confirmed to exist;
 * 4. the round is stored (dataset figures, best parameters, what the build did, the model in
 *    effect), so /finetune status, the results embed and /write read it back.
 *
 * Without Ollama the round still runs steps 1, 2 and 4 and says how to enable the build. A round
 * is due when the count crossed a multiple of `every` since the last round (so 40 → 120 in one run
 * gives one round, and the next is due at 150); a build the last round could not do is caught up
 * after the next run once Ollama and the base model are there; rounds of one user never overlap.
 */
import { Ollama } from 'ollama';
import type { FineTuneRepository } from '../storage/fineTune.ts';
import type { FineTuneRound, NewFineTuneRound, PersonalModelRecord } from '../storage/fineTune.ts';
import { probeOllama } from '../teachers/roster.ts';
import type { Genre } from '../trainer/genres.ts';
import { FINE_TUNE_EVERY } from '../trainer/types.ts';
import { computeUserBestParams, sampleFromExample, type BestParamsOptions, type UserBestParams, type WinnerSample } from './bestParams.ts';
import { rejectedCandidate } from './datasets.ts';
import { DEFAULT_CONTEXT_TOKENS, MAX_FEW_SHOTS, STYLE_SAMPLE, personalModelName, planModelfile, type ModelfilePlan, type ShotCandidate } from './modelfile.ts';

export const DEFAULT_BASE_MODEL = 'llama3.2';
/** Deadline of one Ollama management call (show, create, delete). */
export const OLLAMA_CALL_TIMEOUT_MS = 120_000;

/** How to reach Ollama for builds: `connect()` gives a client when Ollama answers, else undefined. */
export interface OllamaConnector {
  /** The configured host, or `off`. */
  readonly host: string;
  connect(): Promise<Ollama | undefined>;
}

export interface ConnectorOptions {
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

/**
 * Ollama is "configured" when it answers (it has no key): `probeOllama` first, then a client whose
 * fetch carries a deadline (the package sets none, and `create` may take a while).
 */
export function ollamaConnector(host: string, options: ConnectorOptions = {}): OllamaConnector {
  const baseFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? OLLAMA_CALL_TIMEOUT_MS;
  const fetchWithDeadline: typeof fetch = (input, init) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    return baseFetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline });
  };
  return {
    host,
    async connect() {
      if (host === 'off' || !(await probeOllama(host, 1500, baseFetch))) return undefined;
      return new Ollama({ host, fetch: fetchWithDeadline });
    },
  };
}

/** Where a user stands: the countdown, the rounds done and the personal model in effect. */
export interface PersonalStatus {
  userId: string;
  /** Fine-tuning examples collected. */
  examples: number;
  every: number;
  rounds: number;
  /** Examples at which the next round is due. */
  nextAt: number;
  /** Examples still needed (0 when a round is due now). */
  untilNext: number;
  due: boolean;
  lastRound?: FineTuneRound;
  model?: PersonalModelRecord;
}

export interface AfterRunReport {
  /** The round that ran now, if one was due. */
  round?: FineTuneRound;
  status?: PersonalStatus;
  /** Set when the round could not be completed (logged; the next run tries again). */
  error?: string;
}

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface FineTuneServiceOptions {
  fineTune: FineTuneRepository;
  ollama: OllamaConnector;
  /** FROM of personal models (PERSONAL_BASE_MODEL). */
  baseModel?: string;
  /** Examples per round (FINE_TUNE_EVERY). */
  every?: number;
  /** The base model's context in tokens (PERSONAL_CONTEXT_TOKENS). */
  contextTokens?: number;
  bestParams?: BestParamsOptions;
  logger?: Logger;
  now?: () => number;
}

/** True when `examples` crossed a multiple of `every` since `lastRoundExamples`. */
export function roundDue(examples: number, lastRoundExamples: number, every: number): boolean {
  return Math.floor(examples / every) > Math.floor(lastRoundExamples / every);
}

/** Examples at which the round after one at `lastRoundExamples` is due. */
export function nextRoundAt(lastRoundExamples: number, every: number): number {
  return (Math.floor(lastRoundExamples / every) + 1) * every;
}

/** Everything one pass over the dataset gathers. */
export interface DatasetDigest {
  examples: number;
  preferencePairs: number;
  averageQuality: number;
  genres: Partial<Record<Genre, number>>;
  genreQuality: Partial<Record<Genre, number>>;
  samples: WinnerSample[];
  /** The best few of each genre (few-shot and style candidates). */
  candidates: ShotCandidate[];
  best: UserBestParams;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

function isNotFound(err: unknown): boolean {
  const status = (err as { status_code?: unknown } | null)?.status_code;
  return status === 404 || /not found/i.test(err instanceof Error ? err.message : '');
}

export class FineTuneService {
  readonly baseModel: string;
  readonly every: number;
  readonly contextTokens: number;
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(private readonly options: FineTuneServiceOptions) {
    this.baseModel = options.baseModel || DEFAULT_BASE_MODEL;
    this.every = Math.max(1, Math.floor(options.every ?? FINE_TUNE_EVERY));
    this.contextTokens = Math.max(512, Math.floor(options.contextTokens ?? DEFAULT_CONTEXT_TOKENS));
  }

  get ollamaHost(): string {
    return this.options.ollama.host;
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Runs `section` after every earlier section of the same user (rounds never overlap). */
  private serial<T>(userId: string, section: () => Promise<T>): Promise<T> {
    const previous = this.chains.get(userId) ?? Promise.resolve();
    const next = previous.then(section, section);
    const settled = next.catch(() => undefined);
    this.chains.set(userId, settled);
    void settled.then(() => {
      if (this.chains.get(userId) === settled) this.chains.delete(userId);
    });
    return next;
  }

  async status(userId: string): Promise<PersonalStatus> {
    const [examples, rounds, lastRound] = await Promise.all([
      this.options.fineTune.count(userId),
      this.options.fineTune.roundCount(userId),
      this.options.fineTune.latestRound(userId),
    ]);
    const since = lastRound?.examples ?? 0;
    const nextAt = nextRoundAt(since, this.every);
    const due = roundDue(examples, since, this.every);
    return {
      userId,
      examples,
      every: this.every,
      rounds,
      nextAt,
      untilNext: due ? 0 : Math.max(0, nextAt - examples),
      due,
      ...(lastRound ? { lastRound } : {}),
      ...(lastRound?.current ? { model: lastRound.current } : {}),
    };
  }

  /** The personal model in effect, if one was built. */
  async currentModel(userId: string): Promise<PersonalModelRecord | undefined> {
    return (await this.options.fineTune.latestRound(userId))?.current;
  }

  /**
   * Runs a round when one is due; undefined when none is. Also catches up a build the last round
   * could not do (Ollama was down, the base model missing) as soon as Ollama and the base model
   * are there, so nobody waits 50 more examples for a model that could be built now.
   */
  maybeRunRound(userId: string): Promise<FineTuneRound | undefined> {
    return this.serial(userId, async () => {
      const [examples, last] = await Promise.all([this.options.fineTune.count(userId), this.options.fineTune.latestRound(userId)]);
      if (roundDue(examples, last?.examples ?? 0, this.every)) return this.round(userId, 'auto', last);
      if (!last || last.build.status === 'built' || examples === 0) return undefined;
      const client = await this.options.ollama.connect();
      if (!client || !(await this.hasModel(client, this.baseModel))) return undefined;
      return this.round(userId, 'auto', last, client);
    });
  }

  private async hasModel(client: Ollama, model: string): Promise<boolean> {
    try {
      await client.show({ model });
      return true;
    } catch {
      return false;
    }
  }

  /** Runs a round now, due or not (the CLI's `dataset round`). */
  runRound(userId: string): Promise<FineTuneRound> {
    return this.serial(userId, async () => this.round(userId, 'manual', await this.options.fineTune.latestRound(userId)));
  }

  /**
   * What a front end calls after a training run: the round if one is due, and the status to show.
   * Never throws: a failure is logged and reported in `error` (the next run tries again).
   */
  async afterRun(userId: string): Promise<AfterRunReport> {
    let round: FineTuneRound | undefined;
    try {
      round = await this.maybeRunRound(userId);
    } catch (err) {
      this.options.logger?.warn({ err, user: userId }, 'fine-tune round failed');
      const status = await this.status(userId).catch(() => undefined);
      return { error: describeError(err), ...(status ? { status } : {}) };
    }
    try {
      return { ...(round ? { round } : {}), status: await this.status(userId) };
    } catch (err) {
      return { ...(round ? { round } : {}), error: describeError(err) };
    }
  }

  /** One pass over the user's dataset. */
  async digest(userId: string): Promise<DatasetDigest> {
    const samples: WinnerSample[] = [];
    const genres: Partial<Record<Genre, number>> = {};
    const qualitySums: Partial<Record<Genre, number>> = {};
    const perGenre = new Map<Genre, ShotCandidate[]>();
    const keep = Math.max(MAX_FEW_SHOTS, STYLE_SAMPLE);
    let examples = 0;
    let pairs = 0;
    let qualitySum = 0;
    for await (const chunk of this.options.fineTune.examples(userId)) {
      for (const example of chunk) {
        examples += 1;
        qualitySum += example.quality;
        genres[example.genre] = (genres[example.genre] ?? 0) + 1;
        qualitySums[example.genre] = (qualitySums[example.genre] ?? 0) + example.quality;
        samples.push(sampleFromExample(example));
        if (rejectedCandidate(example)) pairs += 1;
        // Keep only the best few per genre: the dataset may be large, the candidates are not.
        const list = perGenre.get(example.genre) ?? [];
        list.push({ genre: example.genre, prompt: example.prompt, story: example.story, quality: example.quality, seq: example.seq });
        list.sort((a, b) => b.quality - a.quality || b.seq - a.seq);
        if (list.length > keep) list.length = keep;
        perGenre.set(example.genre, list);
      }
    }
    const genreQuality: Partial<Record<Genre, number>> = {};
    for (const [genre, sum] of Object.entries(qualitySums) as [Genre, number][]) genreQuality[genre] = sum / (genres[genre] ?? 1);
    return {
      examples,
      preferencePairs: pairs,
      averageQuality: examples ? round2(qualitySum / examples) : 0,
      genres,
      genreQuality,
      samples,
      candidates: [...perGenre.values()].flat(),
      best: computeUserBestParams(samples, this.options.bestParams),
    };
  }

  /** The personal model a round would build now, as version `version`. */
  plan(userId: string, digest: DatasetDigest, version: number): ModelfilePlan {
    return planModelfile({
      model: personalModelName(userId, version),
      base: this.baseModel,
      candidates: digest.candidates,
      genreCounts: digest.genres,
      genreQuality: digest.genreQuality,
      ...(digest.best.overall ? { params: digest.best.overall } : {}),
      contextTokens: this.contextTokens,
    });
  }

  /** What to do so that rounds build a personal model. */
  enableHint(): string {
    const host = this.options.ollama.host;
    return host === 'off'
      ? `Ollama is turned off (OLLAMA_HOST=off). Run Ollama, \`ollama pull ${this.baseModel}\`, and set OLLAMA_HOST to its address; the next round builds the personal model.`
      : `Ollama does not answer at ${host}. Start it (\`ollama serve\`), \`ollama pull ${this.baseModel}\`, and set OLLAMA_HOST if it runs elsewhere; the next round builds the personal model.`;
  }

  private async round(userId: string, trigger: 'auto' | 'manual', previous: FineTuneRound | undefined, connected?: Ollama): Promise<FineTuneRound> {
    const startedAt = this.now();
    const examplesAtStart = await this.options.fineTune.count(userId);
    const digest = await this.digest(userId);
    const base = this.baseModel;
    let build: NewFineTuneRound['build'];
    let current = previous?.current;
    let latestVersion = previous?.latestVersion ?? 0;

    const client = digest.examples === 0 ? undefined : (connected ?? (await this.options.ollama.connect()));
    if (digest.examples === 0) {
      build = { status: 'skipped', base, reason: 'There are no fine-tuning examples yet.' };
    } else if (!client) {
      build = { status: 'skipped', base, reason: this.enableHint() };
    } else {
      const version = latestVersion + 1;
      const plan = this.plan(userId, digest, version);
      build = await this.build(client, plan, version, previous?.current, userId);
      if (build.status === 'built') {
        latestVersion = version;
        current = { model: plan.model, version, base, createdAt: this.now(), round: 0, fewShots: plan.shots.length };
      }
    }

    const built = build.status === 'built';
    const round = await this.options.fineTune.addRound(userId, (number) => ({
      trigger,
      examples: Math.max(examplesAtStart, digest.examples),
      startedAt,
      finishedAt: this.now(),
      dataset: { examples: digest.examples, preferencePairs: digest.preferencePairs, averageQuality: digest.averageQuality, genres: digest.genres },
      bestParams: { ...(digest.best.overall ? { overall: digest.best.overall } : {}), perGenre: digest.best.perGenre },
      build,
      ...(current ? { current: built ? { ...current, round: number } : current } : {}),
      latestVersion,
    }));
    this.options.logger?.info(
      { user: userId, round: round.round, examples: round.examples, build: build.status, model: build.model, reason: build.reason },
      'fine-tune round done',
    );
    return round;
  }

  /** Creates the model, confirms it exists, then removes the previous version. */
  private async build(client: Ollama, plan: ModelfilePlan, version: number, previous: PersonalModelRecord | undefined, userId: string): Promise<NewFineTuneRound['build']> {
    const base = plan.from;
    try {
      await client.show({ model: base });
    } catch (err) {
      if (isNotFound(err)) {
        return { status: 'failed', base, reason: `The base model ${base} is not in Ollama. Run \`ollama pull ${base}\` (or set PERSONAL_BASE_MODEL to a model you have); the next round builds the personal model.` };
      }
      return { status: 'failed', base, reason: `Ollama did not answer about ${base}: ${describeError(err)}` };
    }
    try {
      // Note: the package refuses a `from` that names a file in the working directory.
      await client.create({ model: plan.model, from: base, system: plan.system, parameters: { ...plan.parameters }, messages: plan.messages, stream: false });
      await client.show({ model: plan.model });
    } catch (err) {
      return { status: 'failed', base, model: plan.model, reason: `Ollama could not create ${plan.model}: ${describeError(err)}` };
    }
    let removed: string | undefined;
    if (previous && previous.model !== plan.model) {
      try {
        await client.delete({ model: previous.model });
        removed = previous.model;
      } catch (err) {
        // Gone already (removed by hand) is fine; anything else leaves it in place, which is harmless.
        if (isNotFound(err)) removed = previous.model;
        else this.options.logger?.warn({ err, user: userId, model: previous.model }, 'could not remove the previous personal model');
      }
    }
    return { status: 'built', base, model: plan.model, version, fewShots: plan.shots.length, ...(removed ? { removed } : {}) };
  }
}
