/** The live progress message of a run, and its queued form. */
import { EmbedBuilder } from '@discordjs/builders';
import { ButtonStyle } from 'discord.js';
import type { TeacherInfo } from '../../teachers/types.ts';
import { unreadableBallotsText } from '../../trainer/jury.ts';
import type { RunOptions, RunTotals } from '../../trainer/types.ts';
import { ACTIONS, customId } from '../customId.ts';
import { formatDuration, formatQuality, percent, plural, progressBar, starRating } from '../format.ts';
import { LIMITS, truncate } from '../limits.ts';
import { button, COLORS, mention, genreCountsLine, modelLabel, row, toPayload, type MessagePayload } from './common.ts';

export interface ProgressView {
  ownerId: string;
  runToken: string;
  options: RunOptions;
  totals: RunTotals;
  teachers: TeacherInfo[];
  status: 'running' | 'stopping';
  /** Set while the run waits for a free slot: the queued view is shown instead. */
  queuePosition?: number;
  /** One extra line, e.g. "groq-llama-3.1-8b is rate limited; continuing without it". */
  note?: string;
}

function optionsLine(options: RunOptions, teacherCount: number): string {
  const genres = options.genres.length === 0 ? 'all genres' : plural(options.genres.length, 'genre');
  return [
    plural(options.examples, 'example'),
    genres,
    plural(teacherCount, 'teacher'),
    `${options.voting} voting`,
    `save ${options.save ? 'on' : 'off'}`,
    `memory ${options.memory ? 'on' : 'off'}`,
  ].join(' · ');
}

/** "Waiting in queue: position N", with a button to leave the queue. */
export function queuedMessage(view: Pick<ProgressView, 'ownerId' | 'runToken' | 'options' | 'teachers' | 'note'> & { queuePosition: number }): MessagePayload {
  const lines = [
    `Waiting in queue: position **${view.queuePosition}**.`,
    `${mention(view.ownerId)}, your run starts as soon as the runs ahead of it finish.`,
  ];
  if (view.note) lines.push('', truncate(view.note, 500));
  const embed = new EmbedBuilder()
    .setTitle('⏳ Queued')
    .setColor(COLORS.neutral)
    .setDescription(lines.join('\n'))
    .setFooter({ text: optionsLine(view.options, view.teachers.length) });
  return toPayload(
    [embed.toJSON()],
    [row(button({ customId: customId('run', ACTIONS.run.stop, view.runToken), label: 'Leave queue', style: ButtonStyle.Secondary }))],
  );
}

export function progressMessage(view: ProgressView): MessagePayload {
  if (view.queuePosition !== undefined) return queuedMessage({ ...view, queuePosition: view.queuePosition });
  const { totals } = view;
  const fraction = totals.total > 0 ? totals.done / totals.total : 0;
  const stopping = view.status === 'stopping';

  const description = [
    `\`${progressBar(fraction)}\` **${percent(totals.done, totals.total)}**`,
    `**${totals.done} / ${totals.total}** examples done${totals.failed > 0 ? ` · ${totals.failed} failed` : ''}`,
  ];
  if (stopping) description.push('', '🛑 **Stopping** — finishing the examples already under way; everything done so far is kept.');
  if (view.note) description.push('', truncate(view.note, 500));
  if (totals.jury && totals.jury.unreadable > 0) {
    description.push('', `⚠️ Jury: ${unreadableBallotsText(totals.jury)}${totals.jury.fallbacks > 0 ? ` · ${plural(totals.jury.fallbacks, 'example')} decided by consensus` : ''}`);
  }

  const leader = totals.leadingTeacher
    ? `${modelLabel(totals.leadingTeacher.teacherId)} (${plural(totals.leadingTeacher.wins, 'win')})`
    : '–';
  const eta = stopping ? '–' : totals.etaMs === undefined ? 'estimating…' : formatDuration(totals.etaMs);

  const embed = new EmbedBuilder()
    .setTitle(stopping ? 'Stopping training…' : 'Training in progress')
    .setColor(stopping ? COLORS.warning : COLORS.brand)
    .setDescription(description.join('\n'))
    .addFields(
      { name: 'Success rate', value: `${percent(totals.successful, totals.done)} (${totals.successful}/${totals.done})`, inline: true },
      {
        name: 'Average quality',
        value: totals.successful > 0 ? `${formatQuality(totals.averageQuality)} ${starRating(totals.averageQuality)}` : '–',
        inline: true,
      },
      { name: 'Story score', value: totals.successful > 0 && totals.averageStoryQuality !== undefined ? formatQuality(totals.averageStoryQuality) : '–', inline: true },
      { name: 'Stories saved', value: view.options.save ? String(totals.storiesSaved) : 'off', inline: true },
      { name: 'Leading model', value: leader, inline: true },
      { name: 'Elapsed', value: formatDuration(totals.elapsedMs), inline: true },
      { name: 'ETA', value: eta, inline: true },
      { name: 'Genres so far', value: genreCountsLine(totals.genreCounts, LIMITS.embed.fieldValue) },
    )
    .setFooter({ text: optionsLine(view.options, view.teachers.length) });

  return toPayload(
    [embed.toJSON()],
    [
      row(
        button({
          customId: customId('run', ACTIONS.run.stop, view.runToken),
          label: stopping ? 'Stopping…' : 'Stop',
          style: ButtonStyle.Danger,
          emoji: '⏹️',
          disabled: stopping,
        }),
      ),
    ],
  );
}
