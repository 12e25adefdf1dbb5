/** Plain-text tables of a run's result, shared by the CLI and the demo. */
import { unreadableBallotsText } from '../trainer/jury.ts';
import type { RunTotals, TrainingResult } from '../trainer/types.ts';

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, col) => Math.max(...cells.map((r) => (r[col] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const pct = (part: number, whole: number) => (whole === 0 ? '0%' : `${Math.round((part / whole) * 100)}%`);

export function formatSummary(result: TrainingResult): string {
  const s = result.training_stats;
  const done = result.successful + result.failed;
  return table(
    ['Result', 'Value'],
    [
      ['Status', result.status],
      ...(result.error ? [['Why', result.error]] : []),
      ['Examples', `${done} of ${result.requested}`],
      ['Successful', `${result.successful} (${pct(result.successful, done)})`],
      ['Failed', result.failed],
      ['Average quality', result.average_quality.toFixed(2)],
      ['Average story quality', result.average_story_quality.toFixed(2)],
      ...(result.jury
        ? [['Jury ballots', `${unreadableBallotsText(result.jury)}${result.jury.fallback_examples > 0 ? ` · ${result.jury.fallback_examples} example(s) decided by consensus` : ''}`]]
        : []),
      ['Stories saved', result.stories_saved],
      ['Fine-tuning examples', `+${s.fine_tune_examples_collected} (total ${s.fine_tune_examples_total})`],
      ['Next fine-tune in', `${s.until_next_fine_tune} examples`],
      ['Teacher calls', s.calls_saved !== undefined ? `${s.calls} (auto teachers saved ${s.calls_saved})` : s.calls],
      ['Tokens in / out', `${s.tokens.input} / ${s.tokens.output}`],
      ['Duration', `${(s.duration_ms / 1000).toFixed(1)} s`],
      ...teacherChanges(result).map((line): [string, string] => ['Teachers', line]),
    ],
  );
}

/** Who went out of the run and why, and who came back, one line each. */
export function teacherChanges(result: TrainingResult): string[] {
  return (result.training_stats.teacher_changes ?? []).map((c) =>
    c.change === 'out' ? `${c.teacherId} out at ${(c.atMs / 1000).toFixed(1)} s: ${c.reason ?? 'unavailable'}` : `${c.teacherId} back at ${(c.atMs / 1000).toFixed(1)} s`,
  );
}

/** Share of the examples a teacher took part in that it won (skipped examples do not count). */
export function winRate(p: TrainingResult['model_performance'][string]): string {
  return p.examples ? pct(p.wins, p.examples) : '–';
}

export function formatLeaderboard(result: TrainingResult): string {
  const rows = Object.entries(result.model_performance)
    .sort(([, a], [, b]) => b.wins - a.wins || b.average_quality - a.average_quality)
    .map(([id, p], i) => [
      i + 1,
      p.out ? `${id} (out)` : id,
      p.wins,
      winRate(p),
      p.average_quality.toFixed(2),
      (p.average_story_quality ?? 0).toFixed(2),
      p.calls,
      p.failures,
      p.skipped ?? 0,
      `${p.average_latency_ms} ms`,
    ]);
  return table(['#', 'Model', 'Wins', 'Win rate', 'Avg quality', 'Avg story', 'Calls', 'Failures', 'Skipped', 'Latency'], rows);
}

/** Each failing teacher's latest failure, one line each (empty when every call succeeded). */
export function formatFailures(result: TrainingResult): string {
  const entries = Object.entries(result.failure_reasons ?? {});
  if (entries.length === 0) return '';
  return ['Teacher failures (latest per teacher):', ...entries.map(([id, why]) => `  ${id}: ${why.kind}: ${why.message}`)].join('\n');
}

export function formatGenres(result: TrainingResult): string {
  const rows = Object.entries(result.genre_distribution)
    .sort(([, a], [, b]) => (b ?? 0) - (a ?? 0))
    .map(([genre, count]) => [genre, count ?? 0]);
  return table(['Genre', 'Examples'], rows);
}

export function progressLine(totals: RunTotals, width = 24): string {
  const filled = totals.total === 0 ? 0 : Math.round((totals.done / totals.total) * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const eta = totals.etaMs === undefined ? '' : ` · ETA ${Math.ceil(totals.etaMs / 1000)} s`;
  const leader = totals.leadingTeacher ? ` · lead ${totals.leadingTeacher.teacherId}` : '';
  const story = totals.averageStoryQuality === undefined ? '' : ` (story ${totals.averageStoryQuality.toFixed(2)})`;
  const jury = totals.jury && totals.jury.unreadable > 0 ? ` · ${unreadableBallotsText(totals.jury)}` : '';
  return `${bar} ${totals.done}/${totals.total} · ok ${totals.successful} · avg ${totals.averageQuality.toFixed(2)}${story} · saved ${totals.storiesSaved}${jury}${leader}${eta}`;
}
