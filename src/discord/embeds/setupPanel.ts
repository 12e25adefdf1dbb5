/** The `/autotrain start` setup panel: choices so far, an estimate, a genre select, toggles, Start and Cancel. */
import { EmbedBuilder, StringSelectMenuBuilder, StringSelectMenuOptionBuilder } from '@discordjs/builders';
import { ButtonStyle } from 'discord.js';
import { GENRES, type Genre } from '../../trainer/genres.ts';
import { FINE_TUNE_THRESHOLD, SAVE_THRESHOLD, thresholdText, type QualityScore, type VotingMode } from '../../trainer/types.ts';
import type { TeacherSelection } from '../../trainer/teacherChoice.ts';
import { ACTIONS, customId } from '../customId.ts';
import { formatDuration, plural } from '../format.ts';
import { LIMITS, truncate } from '../limits.ts';
import { button, COLORS, mention, row, toPayload, type MessagePayload } from './common.ts';

export interface SetupState {
  ownerId: string;
  /** Short id of this panel's run, carried in every custom id. */
  runToken: string;
  examples: number;
  /** Empty = balanced over all 25 genres. */
  genres: Genre[];
  save: boolean;
  memory: boolean;
  voting: VotingMode;
  /** `auto`: a bandit picks per genre which teachers to ask, after a warm-up. */
  teacherSelection: TeacherSelection;
  teacherCount: number;
  estimate: { seconds: number; calls: number };
  /** Which score decides the thresholds (QUALITY_SCORE). */
  qualityScore: QualityScore;
}

const VOTING_LABEL: Record<VotingMode, string> = {
  consensus: 'Consensus (teachers vote for the best story)',
  mbr: 'MBR (the story closest to all the others, ranked with its story score)',
  jury: 'Jury (each teacher ranks the others\' stories)',
};

function onOff(on: boolean): string {
  return on ? '✅ On' : '⬜ Off';
}

/** The toggle for one boolean option: green with ✅ when on, grey with ⬜ when off. */
function toggle(action: string, token: string, label: string, on: boolean) {
  return button({
    customId: customId('setup', action, token),
    label: `${label}: ${on ? 'On' : 'Off'}`,
    style: on ? ButtonStyle.Success : ButtonStyle.Secondary,
    emoji: on ? '✅' : '⬜',
  });
}

export function setupPanel(state: SetupState): MessagePayload {
  const { runToken: token } = state;
  const selected = new Set<Genre>(state.genres);
  const genreText =
    state.genres.length === 0
      ? 'All 25, balanced'
      : truncate(GENRES.filter((g) => selected.has(g)).join(', '), LIMITS.embed.fieldValue);

  const embed = new EmbedBuilder()
    .setTitle('Train your story model')
    .setColor(COLORS.brand)
    .setDescription(
      [
        `${mention(state.ownerId)}, pick genres and options below, then press **Start**.`,
        `Each example asks ${plural(state.teacherCount, 'teacher')} for a story; the best one is kept for your fine-tuning set.`,
      ].join('\n'),
    )
    .addFields(
      { name: 'Examples', value: String(state.examples), inline: true },
      { name: 'Teachers', value: state.teacherSelection === 'auto' ? `Auto (best of ${state.teacherCount} per genre)` : `All ${state.teacherCount}`, inline: true },
      { name: 'Voting', value: VOTING_LABEL[state.voting], inline: true },
      { name: `Genres (${state.genres.length === 0 ? 25 : state.genres.length})`, value: genreText },
      { name: 'Save to database', value: `${onOff(state.save)} — keep stories with ${thresholdText(state.qualityScore, SAVE_THRESHOLD)} in your library`, inline: true },
      { name: 'Store in memory', value: `${onOff(state.memory)} — reuse examples with ${thresholdText(state.qualityScore, FINE_TUNE_THRESHOLD)} as guidance in later runs`, inline: true },
      {
        name: 'Estimate',
        value: `about **${formatDuration(state.estimate.seconds * 1000)}** · ${plural(state.estimate.calls, 'teacher call')}`,
      },
    )
    .setFooter({ text: 'Only you can use these controls.' });

  const select = new StringSelectMenuBuilder()
    .setCustomId(customId('setup', ACTIONS.setup.genres, token))
    .setPlaceholder('Genres (none selected = all 25, balanced)')
    .setMinValues(0)
    .setMaxValues(GENRES.length)
    .addOptions(
      GENRES.map((genre) => new StringSelectMenuOptionBuilder().setLabel(genre).setValue(genre).setDefault(selected.has(genre))),
    );

  return toPayload(
    [embed.toJSON()],
    [
      row(select),
      row(
        toggle(ACTIONS.setup.save, token, 'Save to database', state.save),
        toggle(ACTIONS.setup.memory, token, 'Store in memory', state.memory),
        toggle(ACTIONS.setup.teachers, token, 'Auto teachers', state.teacherSelection === 'auto'),
      ),
      row(
        button({ customId: customId('setup', ACTIONS.setup.start, token), label: 'Start', style: ButtonStyle.Primary, emoji: '▶️' }),
        button({ customId: customId('setup', ACTIONS.setup.cancel, token), label: 'Cancel', style: ButtonStyle.Danger }),
      ),
    ],
  );
}
