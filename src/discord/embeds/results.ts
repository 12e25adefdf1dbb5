/** The message a finished (or stopped, or failed) run ends with. */
import { unreadableBallotsText } from '../../trainer/jury.ts';
import { EmbedBuilder } from '@discordjs/builders';
import { ButtonStyle } from 'discord.js';
import { friendlyFailure } from '../../teachers/friendly.ts';
import type { TeacherInfo } from '../../teachers/types.ts';
import type { RunStatus, TrainingResult } from '../../trainer/types.ts';
import { ACTIONS, customId } from '../customId.ts';
import { formatCount, formatDuration, formatQuality, percent, plural, starRating } from '../format.ts';
import { LIMITS, truncate, userText } from '../limits.ts';
import {
  button,
  COLORS,
  compareModelRows,
  genreCountsLine,
  joinLinesWithin,
  mention,
  modelLabel,
  modelRowLine,
  row,
  toPayload,
  type MessagePayload,
  type ModelRow,
} from './common.ts';

export interface ResultsView {
  ownerId: string;
  runToken: string;
  result: TrainingResult;
  /** The run's roster: teachers that never won still get a row. */
  teachers: TeacherInfo[];
  /** The user's fine-tuning examples, all runs together, after this run. */
  fineTuneTotal: number;
  /** File name of the chart attached to the same message (`renderResultsChart`). */
  chartFileName?: string;
}

const STATUS: Record<RunStatus, { title: string; color: number; banner?: string }> = {
  done: { title: '✅ Training complete', color: COLORS.success },
  cancelled: {
    title: '🛑 Training cancelled',
    color: COLORS.warning,
    banner: '**Cancelled** — the run was stopped early. Everything finished before that is kept.',
  },
  interrupted: {
    title: '⚠️ Training interrupted',
    color: COLORS.warning,
    banner: '**Interrupted** — the bot restarted during the run. Everything finished before that is kept.',
  },
  failed: {
    title: '❌ Training failed',
    color: COLORS.danger,
    banner: '**Failed** — the run could not go on. Everything finished before the failure is kept.',
  },
  running: { title: 'Training in progress', color: COLORS.brand },
  queued: { title: 'Training queued', color: COLORS.neutral },
};

/** Every teacher of the run and of the result, ranked by wins, then average quality. */
export function rankModels(result: TrainingResult, teachers: readonly TeacherInfo[]): ModelRow[] {
  const ids = new Set([...teachers.map((t) => t.id), ...Object.keys(result.model_performance)]);
  return [...ids]
    .map((model) => {
      const perf = result.model_performance[model];
      return {
        model,
        wins: perf?.wins ?? 0,
        averageQuality: perf?.average_quality ?? 0,
        ...(perf?.average_story_quality !== undefined ? { averageStoryQuality: perf.average_story_quality } : {}),
        ...(perf?.examples ? { winRate: perf.wins / perf.examples } : {}),
        ...(perf?.skipped ? { skipped: perf.skipped } : {}),
        ...(perf?.out ? { out: perf.out } : {}),
      };
    })
    .sort(compareModelRows);
}

/**
 * Why the run failed and which teachers failed, in friendly words: this message is public, so the
 * providers' own error texts (in the log and the stored result) are not shown.
 */
function failureLines(result: TrainingResult): string {
  return Object.entries(result.failure_reasons ?? {})
    .map(([id, failure]) => `• ${friendlyFailure(`**${id}**`, failure)}`)
    .join('\n');
}

/** Who went out of the run (and why) and who came back, in order. */
function teacherChangeLines(result: TrainingResult): string[] {
  return (result.training_stats.teacher_changes ?? []).map((c) =>
    c.change === 'out'
      ? `⛔ **${modelLabel(c.teacherId)}** out after ${formatDuration(c.atMs)}: ${userText(c.reason ?? 'unavailable', 200)}`
      : `✅ **${modelLabel(c.teacherId)}** back after ${formatDuration(c.atMs)}`,
  );
}

/** Characters of the description kept for the leaderboard (the rest is the summary and banner). */
const LEADERBOARD_BUDGET = 3000;

export function resultsMessage(view: ResultsView): MessagePayload {
  const { result } = view;
  const status = STATUS[result.status];
  const done = result.successful + result.failed;
  const stats = result.training_stats;

  const description: string[] = [];
  if (status.banner) description.push(status.banner, '');
  if (result.error) description.push(`Why: ${result.error}`, '');
  description.push(`${mention(view.ownerId)}, ${done} of ${plural(result.requested, 'example')} done.`, '', '**Model leaderboard**');
  const ranked = rankModels(result, view.teachers);
  description.push(
    ranked.length === 0
      ? 'No teacher took part.'
      : joinLinesWithin(
          ranked.map((r, i) => modelRowLine(i + 1, r)),
          LEADERBOARD_BUDGET,
        ),
  );

  const embed = new EmbedBuilder()
    .setTitle(status.title)
    .setColor(status.color)
    .setDescription(description.join('\n'))
    .addFields(
      { name: 'Success rate', value: `${percent(result.successful, done)} (${result.successful}/${done})`, inline: true },
      {
        name: 'Average quality',
        value: result.successful > 0 ? `${formatQuality(result.average_quality)} ${starRating(result.average_quality)}` : '–',
        inline: true,
      },
      { name: 'Story score', value: result.successful > 0 ? formatQuality(result.average_story_quality) : '–', inline: true },
      { name: 'Stories saved', value: String(result.stories_saved), inline: true },
      ...(result.jury
        ? [
            {
              name: 'Jury',
              value: `${unreadableBallotsText(result.jury)}${result.jury.fallback_examples > 0 ? ` · ${plural(result.jury.fallback_examples, 'example')} decided by consensus` : ''}`,
              inline: true,
            },
          ]
        : []),
      {
        name: 'Fine-tuning examples',
        value: `+${stats.fine_tune_examples_collected} this run · ${formatCount(view.fineTuneTotal)} in all`,
        inline: true,
      },
      { name: 'Duration', value: formatDuration(stats.duration_ms), inline: true },
      { name: 'Genre distribution', value: genreCountsLine(result.genre_distribution, LIMITS.embed.fieldValue) },
    )
    .setFooter({
      text: truncate(
        `Run ${result.run_id} · ${plural(stats.calls, 'teacher call')} · ${formatCount(stats.tokens.input + stats.tokens.output)} tokens`,
        LIMITS.embed.footer,
      ),
    });
  const why = failureLines(result);
  if (why) embed.addFields({ name: result.status === 'failed' ? 'Why it failed' : 'Teachers that failed', value: truncate(why, LIMITS.embed.fieldValue) });
  const changes = teacherChangeLines(result);
  if (changes.length > 0) embed.addFields({ name: 'Teachers out and back', value: joinLinesWithin(changes, LIMITS.embed.fieldValue) });
  if (stats.calls_saved !== undefined) embed.addFields({ name: 'Auto teachers', value: `${plural(stats.calls_saved, 'teacher call')} saved`, inline: true });
  if (view.chartFileName !== undefined) {
    // Discord matches the name of the attached file; keep to characters it never rewrites.
    if (!/^[\w.-]{1,100}$/.test(view.chartFileName)) throw new RangeError(`resultsMessage: bad chart file name ${JSON.stringify(view.chartFileName)}`);
    embed.setImage(`attachment://${view.chartFileName}`);
  }

  const token = view.runToken;
  return toPayload(
    [embed.toJSON()],
    [
      row(
        button({ customId: customId('results', ACTIONS.results.stories, token), label: 'View my stories', style: ButtonStyle.Primary, emoji: '📚' }),
        button({ customId: customId('results', ACTIONS.results.leaderboard, token), label: 'Leaderboard', style: ButtonStyle.Secondary, emoji: '🏆' }),
        button({ customId: customId('results', ACTIONS.results.again, token), label: 'Train again', style: ButtonStyle.Success, emoji: '🔁' }),
      ),
    ],
  );
}
