/**
 * `--teachers auto`: after a warm-up in which every teacher is asked, a bandit chooses per genre
 * which teachers to ask, from the wins and candidate quality recorded so far (UCB: the best by
 * record, plus a bonus for the rarely asked, plus an occasional random extra — it keeps exploring).
 * A genre with little history borrows the teacher's record across all genres. A run starts from
 * the statistics recorded by earlier runs (`seed`), capped so that its own examples soon outweigh
 * them; with enough recorded history it needs no warm-up.
 */
import type { Genre } from './genres.ts';
import type { Random } from './random.ts';
import type { ExampleRecord } from './types.ts';

export type TeacherSelection = 'all' | 'auto';

export interface ChooserOptions {
  /** Examples of the run that ask every teacher before the bandit starts choosing. */
  warmupExamples?: number;
  /** Teachers asked per example once warmed up (the voting floor). */
  pick: number;
  /** Chance that one more, randomly chosen teacher is asked. */
  explore?: number;
}

interface Record_ {
  asked: number;
  wins: number;
  qualitySum: number;
  answered: number;
}

/** What earlier runs recorded of one teacher in one genre (all users: leaderboards show it too). */
export interface TeacherHistory {
  teacherId: string;
  genre: Genre;
  /** Examples it was asked in. */
  asked: number;
  wins: number;
}

/**
 * Recorded examples a seeded record counts as, at most, per teacher and genre: the run's own 20
 * examples in a genre weigh as much as all history, so a teacher that got worse is found out.
 */
export const HISTORY_CAP = 20;

const PRIOR_WEIGHT = 2;
const BONUS = 0.3;

const empty = (): Record_ => ({ asked: 0, wins: 0, qualitySum: 0, answered: 0 });

export class TeacherChooser {
  private readonly overall = new Map<string, Record_>();
  private readonly byGenre = new Map<Genre, Map<string, Record_>>();
  private seen = 0;
  private callsSaved = 0;
  private readonly warmup: number;
  private readonly explore: number;

  constructor(private readonly options: ChooserOptions) {
    this.warmup = options.warmupExamples ?? 10;
    this.explore = options.explore ?? 0.1;
  }

  /**
   * Starts from earlier runs' records (wins over examples asked, scaled down to `HISTORY_CAP`).
   * When every teacher has `warmupExamples` recorded examples, the warm-up is skipped: asking
   * everyone again would only re-learn what is known. Candidate quality is not recorded per
   * teacher, so it is learnt in the run.
   */
  seed(history: readonly TeacherHistory[], teacherIds: readonly string[]): void {
    const overallAsked = new Map<string, number>();
    for (const h of history) {
      if (h.asked <= 0) continue;
      const asked = Math.min(h.asked, HISTORY_CAP);
      const wins = (Math.min(h.wins, h.asked) * asked) / h.asked;
      const genreRecords = this.byGenre.get(h.genre) ?? new Map<string, Record_>();
      this.byGenre.set(h.genre, genreRecords);
      for (const r of [this.rec(this.overall, h.teacherId), this.rec(genreRecords, h.teacherId)]) {
        r.asked += asked;
        r.wins += wins;
      }
      overallAsked.set(h.teacherId, (overallAsked.get(h.teacherId) ?? 0) + h.asked);
    }
    if (teacherIds.length > 0 && teacherIds.every((id) => (overallAsked.get(id) ?? 0) >= this.warmup)) this.seen = Math.max(this.seen, this.warmup);
  }

  /** Calls not made because the bandit left a teacher out. */
  get saved(): number {
    return this.callsSaved;
  }

  private rec(map: Map<string, Record_>, id: string): Record_ {
    let r = map.get(id);
    if (!r) map.set(id, (r = empty()));
    return r;
  }

  /** Scores of each teacher for a genre: record (shrunk towards its overall record) plus an exploration bonus. */
  scores<T extends { id: string }>(genre: Genre, teachers: readonly T[]): Map<string, number> {
    const genreRecords = this.byGenre.get(genre) ?? new Map<string, Record_>();
    const genreAsked = [...genreRecords.values()].reduce((s, r) => s + r.asked, 0);
    const out = new Map<string, number>();
    for (const t of teachers) {
      const all = this.overall.get(t.id) ?? empty();
      const g = genreRecords.get(t.id) ?? empty();
      const overallRate = (all.wins + 1) / (all.asked + 2);
      const winRate = (g.wins + PRIOR_WEIGHT * overallRate) / (g.asked + PRIOR_WEIGHT);
      const quality = g.answered > 0 ? g.qualitySum / g.answered / 10 : all.answered > 0 ? all.qualitySum / all.answered / 10 : 1;
      const bonus = BONUS * Math.sqrt(Math.log(genreAsked + 2) / (g.asked + 1));
      out.set(t.id, winRate * quality + bonus);
    }
    return out;
  }

  /** The teachers to ask for one example (roster order kept), from those that can be asked. */
  choose<T extends { id: string }>(genre: Genre, teachers: readonly T[], random: Random): T[] {
    if (this.seen < this.warmup || teachers.length <= this.options.pick) return [...teachers];
    const scores = this.scores(genre, teachers);
    const ranked = [...teachers].sort((a, b) => (scores.get(b.id) as number) - (scores.get(a.id) as number));
    const chosen = new Set(ranked.slice(0, this.options.pick).map((t) => t.id));
    const rest = ranked.slice(this.options.pick);
    if (rest.length > 0 && random.next() < this.explore) chosen.add((rest[Math.floor(random.next() * rest.length)] as T).id);
    this.callsSaved += teachers.length - chosen.size;
    return teachers.filter((t) => chosen.has(t.id));
  }

  /** Learns from one finished example: who was asked, who answered how well, who won. */
  record(example: ExampleRecord): void {
    this.seen += 1;
    const genreRecords = this.byGenre.get(example.genre) ?? new Map<string, Record_>();
    this.byGenre.set(example.genre, genreRecords);
    for (const outcome of example.outcomes) {
      for (const r of [this.rec(this.overall, outcome.teacherId), this.rec(genreRecords, outcome.teacherId)]) {
        r.asked += 1;
        if (outcome.textQuality !== undefined) {
          r.answered += 1;
          r.qualitySum += outcome.textQuality;
        }
        if (example.winner?.teacherId === outcome.teacherId) r.wins += 1;
      }
    }
  }
}
