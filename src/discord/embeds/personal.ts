/**
 * Discord messages of the personal model: /finetune status, the fine-tune field of the results
 * embed, and the /write story with its Save and Regenerate buttons. Pure builders: every payload
 * is within Discord's limits (fitEmbeds, truncate) and carries no mention that could ping. (The
 * CLI's plain-text round line is src/personal/roundSummary.ts: the CLI never loads discord.js.)
 */
import { ButtonStyle, type APIEmbed, type APIEmbedField } from 'discord.js';
import { customId } from '../customId.ts';
import { button, COLORS, genreCountsLine, modelLabel, row, toPayload, type MessagePayload } from './common.ts';
import { formatCount, formatQuality, plural, relativeTime, starRating } from '../format.ts';
import { fitEmbeds, LIMITS, neutralizeMentions, splitText, truncate, userText } from '../limits.ts';
import type { StoredBestParams } from '../../storage/fineTune.ts';
import { deriveTitle } from '../../storage/index.ts';
import { redactSecrets } from '../../security/redact.ts';
import { textQuality } from '../../trainer/scoring.ts';
import { storyQuality } from '../../trainer/storyScore.ts';
import { FINE_TUNE_THRESHOLD, thresholdText, type QualityScore } from '../../trainer/types.ts';
import type { AfterRunReport, PersonalStatus } from '../../personal/fineTuneRounds.ts';
import type { WriteResult } from '../../personal/writer.ts';

export const WRITE_SCOPE = 'write';
export const WRITE_ACTIONS = { save: 'save', regenerate: 'regen' } as const;

// ——— shared lines ———

export function countdownLine(status: Pick<PersonalStatus, 'due' | 'untilNext' | 'nextAt'>): string {
  if (status.due) return 'A round is due now: it runs right after your next training run.';
  return `Next round in **${plural(status.untilNext, 'example')}** (at ${formatCount(status.nextAt)}).`;
}

export function settingsText(params: Pick<StoredBestParams, 'generation_params'>): string {
  const p = params.generation_params;
  return `temperature ${p.temperature} · top-p ${p.top_p} · max ${formatCount(p.max_tokens)} tokens`;
}

export function paramsLine(params: StoredBestParams): string {
  return `**${modelLabel(params.best_model)}** · ${settingsText(params)} · avg ${formatQuality(params.average_quality)} over ${plural(params.samples, 'win')} · confidence ${params.ensemble_confidence.toFixed(2)}`;
}

/**
 * Zega's own messages (they may quote a model name or Ollama's error): secrets redacted before the
 * cut, Markdown kept, mentions made inert.
 */
function ourText(text: string, max: number): string {
  return truncate(neutralizeMentions(redactSecrets(text)), max);
}

/** The personal model in effect, or why there is none. */
export function modelLine(status: Pick<PersonalStatus, 'model' | 'lastRound' | 'every' | 'rounds'>): string {
  const m = status.model;
  const last = status.lastRound;
  if (m) {
    const line = `\`${m.model}\` — version ${m.version} · base ${userText(m.base, 60)} · ${plural(m.fewShots, 'few-shot example')} · built ${relativeTime(m.createdAt)}`;
    if (last && last.build.status === 'failed' && last.build.reason) return `${line}\n⚠️ The last round could not build a new version: ${ourText(last.build.reason, 400)}`;
    return line;
  }
  if (!last) return `None yet: your first round comes at ${formatCount(status.every)} fine-tuning examples.`;
  return `Not built yet. ${ourText(last.build.reason ?? 'The last round did not build one.', 500)}`;
}

// ——— /finetune status ———

export interface StatusView {
  status: PersonalStatus;
  /** Which score decides the thresholds (QUALITY_SCORE). */
  qualityScore: QualityScore;
  /** Number of preference pairs and SFT lines the export would give now. */
  dataset?: { examples: number; preferencePairs: number };
}

export function statusMessage(view: StatusView): MessagePayload {
  const { status } = view;
  const last = status.lastRound;
  const fields: APIEmbedField[] = [
    { name: 'Fine-tuning examples', value: `${formatCount(status.examples)} collected (${thresholdText(view.qualityScore, FINE_TUNE_THRESHOLD)})`, inline: true },
    { name: 'Rounds done', value: `${status.rounds}${last ? ` · last ${relativeTime(last.finishedAt)}` : ''}`, inline: true },
    { name: 'Next round', value: countdownLine(status) },
    { name: 'Personal model', value: modelLine(status) },
  ];
  const overall = last?.bestParams.overall;
  if (overall) fields.push({ name: 'Best parameters', value: paramsLine(overall) });
  const perGenre = Object.entries(last?.bestParams.perGenre ?? {})
    .filter((e): e is [string, StoredBestParams] => e[1] !== undefined)
    .sort(([, a], [, b]) => b.average_quality - a.average_quality || b.samples - a.samples)
    .slice(0, 5)
    .map(([genre, p]) => `${genre}: **${modelLabel(p.best_model)}** · ${settingsText(p)} · avg ${formatQuality(p.average_quality)}`);
  if (perGenre.length > 0) fields.push({ name: 'Best per genre (top 5)', value: perGenre.join('\n') });
  if (last) fields.push({ name: 'Genres in your dataset', value: genreCountsLine(last.dataset.genres) });
  const pairs = view.dataset?.preferencePairs ?? last?.dataset.preferencePairs;
  fields.push({
    name: 'Dataset',
    value: `Download it with \`/finetune export\`: SFT chat lines (default), Alpaca${pairs !== undefined ? `, or ${plural(pairs, 'DPO preference pair')}` : ' or DPO preference pairs'}.`,
  });
  const embed: APIEmbed = {
    title: '🧠 Your personal model',
    color: status.model ? COLORS.success : COLORS.brand,
    description: `Every ${plural(status.every, 'fine-tuning example')} a round refreshes your best parameters and rebuilds your personal model. \`/write\` writes with it.`,
    fields,
    footer: { text: 'Only you can see this.' },
  };
  return toPayload([embed], []);
}

// ——— results embed ———

/** The field the results embed shows after a run: countdown, rounds done, model version, this run's round. */
export function fineTuneField(report: AfterRunReport): APIEmbedField {
  const lines: string[] = [];
  const round = report.round;
  if (round) {
    if (round.build.status === 'built' && round.build.model) lines.push(`🎉 Round ${round.round} built your personal model \`${round.build.model}\`. Try it with \`/write\`.`);
    else lines.push(`Round ${round.round} refreshed your dataset and best parameters. ${round.build.reason ?? ''}`.trim());
  }
  if (report.status) {
    const s = report.status;
    lines.push(`${plural(s.rounds, 'round')} done · ${s.model ? `model version **${s.model.version}** (\`${s.model.model}\`)` : 'no personal model yet'}`);
    if (!round || !s.due) lines.push(countdownLine(s));
  }
  if (report.error) lines.push(`⚠️ The fine-tune round hit a problem and will be retried after your next run: ${report.error}`);
  return { name: '🧠 Personal model', value: ourText(lines.join('\n'), LIMITS.embed.fieldValue) || '–' };
}

/** `payload` with the personal-model field added to its first embed (the results message). */
export function withFineTuneField<T extends { embeds: APIEmbed[] }>(payload: T, report: AfterRunReport): T {
  const [first, ...rest] = payload.embeds;
  if (!first) return payload;
  const field = fineTuneField(report);
  const fields = [...(first.fields ?? [])];
  if (fields.length >= LIMITS.embed.fields) fields.pop();
  fields.push(field);
  return { ...payload, embeds: fitEmbeds([{ ...first, fields }, ...rest]) };
}

// ——— /write ———

export interface WriteView {
  ownerId: string;
  token: string;
  prompt: string;
  result: WriteResult;
  /** Set once Save was pressed. */
  saved?: { storyId: string; title: string };
  /** Regenerations so far. */
  attempt?: number;
}

export interface WritePayload extends MessagePayload {
  files?: { attachment: Buffer; name: string }[];
}

/** Characters of the story shown when the full text goes into an attachment. */
const PREVIEW_MAX = 1500;

export function writeTitle(view: Pick<WriteView, 'prompt' | 'result'>): string {
  return deriveTitle(view.result.text, view.prompt);
}

function authorText(result: WriteResult): string {
  const a = result.author;
  return a.kind === 'personal' ? `Your personal model \`${a.model}\`` : `**${modelLabel(a.teacherId)}** (${a.why})`;
}

function styleText(result: WriteResult): string {
  if (result.styleSources.length === 0) return 'None yet: stories join your memory when you train with memory on.';
  const items = result.styleSources.map((s, i) => `${i + 1}. ${s.genre} · ${formatQuality(s.quality)} — ${userText(s.prompt.replace(/\s+/g, ' '), 90)}`);
  return `${plural(result.styleSources.length, 'story', 'stories')} from your memory:\n${items.join('\n')}`;
}

function writeButtons(view: WriteView) {
  return row(
    button({
      customId: customId(WRITE_SCOPE, WRITE_ACTIONS.save, view.token),
      label: view.saved ? 'Saved' : 'Save',
      style: ButtonStyle.Success,
      emoji: view.saved ? '✅' : '💾',
      disabled: view.saved !== undefined,
    }),
    button({ customId: customId(WRITE_SCOPE, WRITE_ACTIONS.regenerate, view.token), label: 'Regenerate', style: ButtonStyle.Secondary, emoji: '🔁' }),
  );
}

export function writeMessage(view: WriteView): WritePayload {
  const { result } = view;
  const title = userText(writeTitle(view), LIMITS.embed.title);
  const text = neutralizeMentions(result.text.trim()) || '*(empty story)*';
  const quality = textQuality(result.text);
  const fields: APIEmbedField[] = [
    { name: 'Genre', value: result.genre, inline: true },
    { name: 'Text quality', value: `${formatQuality(quality)} ${starRating(quality)}`, inline: true },
    { name: 'Story score', value: formatQuality(storyQuality(result.text, { prompt: view.prompt })), inline: true },
    { name: 'Settings', value: `temperature ${result.settings.temperature} · top-p ${result.settings.topP} · max ${result.settings.maxTokens} tokens`, inline: true },
    { name: 'Written by', value: authorText(result) },
    { name: 'Style examples', value: styleText(result) },
    { name: 'Prompt', value: userText(view.prompt.trim(), 300) || '–' },
  ];
  if (result.notes.length > 0) fields.push({ name: 'Note', value: userText(result.notes.join('\n'), 500) });
  const footer = {
    text: view.saved
      ? `Saved to your library as "${truncate(view.saved.title, 120)}" · /stories view`
      : `Save keeps it in your library · Regenerate writes another${view.attempt ? ` · take ${view.attempt + 1}` : ''}`,
  };
  const meta: APIEmbed = { title, fields, footer };
  const room = LIMITS.embed.total - (title.length + fields.reduce((n, f) => n + f.name.length + f.value.length, 0) + footer.text.length);
  const components = [writeButtons(view)];

  if (text.length <= room) {
    const chunks = splitText(text, LIMITS.embed.description);
    if (chunks.length <= 2) {
      const embeds: APIEmbed[] = chunks.map((chunk) => ({ color: COLORS.brand, description: chunk }));
      const first = embeds[0] as APIEmbed;
      const last = embeds[embeds.length - 1] as APIEmbed;
      first.title = title;
      last.fields = fields;
      last.footer = footer;
      return toPayload(embeds, components);
    }
  }
  const excerpt = splitText(text, PREVIEW_MAX)[0] ?? '';
  const words = text.split(/\s+/).filter(Boolean).length;
  const preview: APIEmbed = {
    ...meta,
    color: COLORS.brand,
    description: `${excerpt}…\n\n📎 *The full story (${plural(words, 'word')}) is attached.*`,
  };
  const markdown = `# ${writeTitle(view)}\n\n${result.text.trim()}\n`;
  return { ...toPayload([preview], components), files: [{ attachment: Buffer.from(markdown, 'utf8'), name: 'story.md' }] };
}

/** The /write message while a new version is being written: buttons disabled. */
export function busyComponents(view: WriteView): MessagePayload['components'] {
  const buttons = writeButtons(view);
  for (const b of buttons.components) b.setDisabled(true);
  return [buttons.toJSON()];
}
