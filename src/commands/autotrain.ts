/**
 * /autotrain start — setup panel (examples, genres, save/memory toggles, Start/Cancel), then one
 * live progress message, then the results with a chart. /autotrain status — the current or last run.
 */
import { randomBytes } from 'node:crypto';
import { SlashCommandBuilder } from '@discordjs/builders';
import type { TeacherSelection } from '../trainer/teacherChoice.ts';
import type { AnySelectMenuInteraction, ButtonInteraction, ChatInputCommandInteraction, Client, RepliableInteraction } from 'discord.js';
import { ACTIONS } from '../discord/customId.ts';
import { renderResultsChart, CHART_FILE_NAME } from '../discord/chart.ts';
import { progressMessage, queuedMessage } from '../discord/embeds/progress.ts';
import { resultsMessage } from '../discord/embeds/results.ts';
import { setupPanel, type SetupState } from '../discord/embeds/setupPanel.ts';
import { fitChoices } from '../discord/limits.ts';
import { formatDuration } from '../discord/format.ts';
import { GENRES, isGenre, parseGenreList, type Genre } from '../trainer/genres.ts';
import { DEFAULT_VOTING, MAX_EXAMPLES, MIN_EXAMPLES, type RunOptions, type RunTotals, type VotingMode } from '../trainer/types.ts';
import type { TeacherInfo } from '../teachers/types.ts';
import { missingTeachersMessage } from '../teachers/roster.ts';
import { estimateRun } from '../trainer/estimate.ts';
import { ProgressReporter, type ProgressLocation, type ProgressPayload, type ReporterTimings } from '../discord/progressReporter.ts';
import { NO_MENTIONS, replyPrivately } from '../discord/replies.ts';
import { ActiveRunError, DailyQuotaError, QueueClosedError, type RunJob, type RunListener, type RunSession } from '../runs/types.ts';
import { sendLeaderboard } from './leaderboard.ts';
import { sendStoryList } from './stories.ts';
import { COMMAND_CONTEXTS, COMMAND_INTEGRATION_TYPES, type Command, type CommandContext } from './types.ts';
import { personalFor } from '../personal/runtime.ts';
import { withFineTuneField } from '../discord/embeds/personal.ts';
import { stateKeys } from '../storage/state.ts';
import { ButtonState } from './buttonState.ts';

const DEFAULT_EXAMPLES = 20;
/** A setup panel nobody started is forgotten after this long. */
export const SETUP_TTL_MS = 30 * 60_000;

const data = new SlashCommandBuilder()
  .setName('autotrain')
  .setDescription('Train your personal story model with the teacher ensemble')
  .setContexts(...COMMAND_CONTEXTS)
  .setIntegrationTypes(...COMMAND_INTEGRATION_TYPES)
  .addSubcommand((sub) =>
    sub
      .setName('start')
      .setDescription('Open the training setup panel')
      .addIntegerOption((o) =>
        o.setName('examples').setDescription(`How many examples (${MIN_EXAMPLES}–${MAX_EXAMPLES}, default ${DEFAULT_EXAMPLES})`).setMinValue(MIN_EXAMPLES).setMaxValue(MAX_EXAMPLES),
      )
      .addStringOption((o) => o.setName('genres').setDescription('Comma-separated genres (empty = balanced over all 25)').setAutocomplete(true).setMaxLength(400))
      .addBooleanOption((o) => o.setName('save').setDescription('Save stories scoring 8.0+ to your library (default on)'))
      .addBooleanOption((o) => o.setName('memory').setDescription('Keep examples scoring 7.0+ in your memory (default on)'))
      .addStringOption((o) =>
        o
          .setName('voting')
          .setDescription('How the ensemble picks the best story')
          .addChoices(
            { name: 'consensus (no extra calls; the default)', value: 'consensus' },
            { name: 'mbr (the story closest to all others, by story score)', value: 'mbr' },
            { name: 'jury (each teacher ranks the others)', value: 'jury' },
          ),
      )
      .addStringOption((o) =>
        o
          .setName('teachers')
          .setDescription('Which teachers each example asks')
          .addChoices({ name: 'all (every teacher, every example)', value: 'all' }, { name: 'auto (the best per genre, after a warm-up; fewer calls)', value: 'auto' }),
      ),
  )
  .addSubcommand((sub) => sub.setName('status').setDescription('Show your current or last training run'));

type Setup = SetupState & { createdAt: number; guildId?: string };

/** Setup panels waiting for Start, on the store's key-value state (a restart keeps them; any bot process serves them). */
const setups = new ButtonState<Setup>(stateKeys.panel, SETUP_TTL_MS, 'panel:');

const ALREADY_STARTED = 'This run has already started: its progress is on this message.';

/** Start presses of this process under way (by token): a double press starts one run. */
const starting = new Set<string>();

function newRunToken(userId: string): string {
  return `${userId}-${randomBytes(6).toString('base64url')}`;
}

function estimateFor(ctx: CommandContext, examples: number, voting: VotingMode) {
  return estimateRun({
    examples,
    voting,
    teachers: ctx.runtime.teachers,
    roster: ctx.runtime.roster,
    concurrency: ctx.runtime.config.RUN_CONCURRENCY,
    rateLimited: ctx.runtime.config.RATE_LIMITS === 'on',
  });
}

function messageLink(session: RunSession): string | undefined {
  const l = session.location;
  return l ? `https://discord.com/channels/${l.guildId ?? '@me'}/${l.channelId}/${l.messageId}` : undefined;
}

async function openPanel(interaction: RepliableInteraction, ctx: CommandContext, base: Omit<SetupState, 'ownerId' | 'runToken' | 'teacherCount' | 'estimate' | 'qualityScore'>): Promise<void> {
  const userId = interaction.user.id;
  const active = await ctx.runs.active(userId);
  if (active) {
    const link = messageLink(active);
    return replyPrivately(
      interaction,
      `You already have a run ${active.status === 'queued' ? 'waiting in the queue' : 'in progress'} (${active.totals?.done ?? 0}/${active.options.examples} examples)${link ? `: ${link}` : ''}. Stop it or wait for it to finish.`,
    );
  }
  if (ctx.runtime.teachers.length === 0) return replyPrivately(interaction, missingTeachersMessage(ctx.runtime.roster));
  const remaining = await ctx.runs.remainingToday(userId);
  if (base.examples > remaining) return replyPrivately(interaction, quotaMessage(remaining, ctx.runtime.config.DAILY_EXAMPLES_PER_USER));
  const now = Date.now();
  const state: SetupState = {
    ...base,
    ownerId: userId,
    runToken: newRunToken(userId),
    teacherCount: ctx.runtime.teachers.length,
    estimate: estimateFor(ctx, base.examples, base.voting),
    qualityScore: ctx.runtime.config.QUALITY_SCORE,
  };
  await setups.set(ctx.runtime.store.state, userId, state.runToken, { ...state, createdAt: now, ...(interaction.guildId ? { guildId: interaction.guildId } : {}) });
  await interaction.reply({ ...setupPanel(state), allowedMentions: NO_MENTIONS });
  await setups.sweep(ctx.runtime.store.state).catch((err: unknown) => ctx.logger.warn({ err }, '/autotrain: could not sweep expired setup panels'));
}

async function start(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const genres = parseGenreList(interaction.options.getString('genres') ?? '');
  if ('error' in genres) return replyPrivately(interaction, `${genres.error} Pick from the suggestions, or leave it empty for all 25.`);
  const examples = interaction.options.getInteger('examples') ?? DEFAULT_EXAMPLES;
  await openPanel(interaction, ctx, {
    examples,
    genres: genres.genres,
    save: interaction.options.getBoolean('save') ?? true,
    memory: interaction.options.getBoolean('memory') ?? true,
    voting: (interaction.options.getString('voting') as VotingMode | null) ?? DEFAULT_VOTING,
    teacherSelection: (interaction.options.getString('teachers') as TeacherSelection | null) ?? 'all',
  });
}

async function status(interaction: ChatInputCommandInteraction, ctx: CommandContext): Promise<void> {
  const userId = interaction.user.id;
  const session = await ctx.runs.active(userId);
  if (session) {
    const t = session.totals;
    const where = messageLink(session);
    const line =
      session.status === 'queued'
        ? `Your run of ${session.options.examples} examples is waiting in the queue.`
        : `Your run is at ${t?.done ?? 0}/${session.options.examples} examples · ${t?.successful ?? 0} successful · average quality ${(t?.averageQuality ?? 0).toFixed(2)} · ${t?.storiesSaved ?? 0} stories saved${t?.etaMs ? ` · about ${formatDuration(t.etaMs)} left` : ''}.`;
    return replyPrivately(interaction, `${line}${where ? `\nProgress: ${where}` : ''}${session.stopping ? '\nIt is stopping.' : ''}`);
  }
  const last = await ctx.runtime.store.runs.latest(userId);
  if (!last) return replyPrivately(interaction, 'You have not trained yet. Start with `/autotrain start`.');
  const r = last.result;
  const summary = r
    ? `${r.successful + r.failed}/${r.requested} examples done · ${r.successful} successful · average quality ${r.average_quality.toFixed(2)} · ${r.stories_saved} stories saved · next fine-tune in ${r.training_stats.until_next_fine_tune} examples`
    : `${last.counts.done} examples recorded`;
  await replyPrivately(interaction, `Your last run (${last.status}, <t:${Math.floor(last.createdAt / 1000)}:R>): ${summary}.`);
}

interface RunView {
  ownerId: string;
  runToken: string;
  options: RunOptions;
  teachers: TeacherInfo[];
}

const initialTotals = (options: RunOptions): RunTotals => ({ done: 0, total: options.examples, successful: 0, failed: 0, storiesSaved: 0, averageQuality: 0, genreCounts: {}, elapsedMs: 0 });

/**
 * What a run's progress message hears: queue positions, progress, stopping, the results (with the
 * chart and the fine-tune round it made due), or that a restart interrupted it. Shared by runs
 * started here and runs resumed after a restart.
 */
export function progressListener(ctx: CommandContext, reporter: ProgressReporter, view: RunView, resumedNote?: string): RunListener {
  let note = resumedNote;
  let totals = initialTotals(view.options);
  let stopping = false;
  const showProgress = () => reporter.show(progressMessage({ ...view, totals, status: stopping ? 'stopping' : 'running', ...(note ? { note } : {}) }));
  return {
    onQueued: (position) => reporter.show(queuedMessage({ ...view, queuePosition: position, ...(note ? { note } : {}) })),
    onStarted: () => showProgress(),
    onProgress: (progress) => {
      if (progress.type === 'started' && progress.resumedAt) {
        totals = { ...totals, done: progress.resumedAt };
        note = resumedMessage(progress.resumedAt, view.options.examples);
      }
      if (progress.type === 'teacher-unavailable')
        note = `${progress.teacherId} is out: ${progress.reason}${progress.retryAt ? ` — one probe call <t:${Math.ceil(progress.retryAt / 1000)}:R> decides whether it comes back` : ' — for the rest of this run'}.`;
      if (progress.type === 'teacher-back') note = `${progress.teacherId} is back: its probe call answered.`;
      if (progress.type === 'example') totals = progress.totals;
      showProgress();
    },
    onStopping: () => {
      stopping = true;
      showProgress();
    },
    onLeftQueue: async () => {
      await reporter.finish({ embeds: [{ title: 'Left the queue', description: 'This run never started. Start a new one with `/autotrain start`.', color: 0x99aab5 }], components: [] });
    },
    onInterrupted: async (done) => {
      await reporter.finish({
        embeds: [{ title: 'Zega is restarting', description: `This run paused at ${done}/${view.options.examples} examples; everything done is kept. It resumes by itself when Zega is back.`, color: 0xfee75c }],
        components: [],
      });
    },
    onFinished: async (result) => {
      const fineTuneTotal = result.training_stats.fine_tune_examples_total;
      // The fine-tune round this run made due, if any (never throws: a failure is logged and shown).
      const personal = await personalFor(ctx.runtime).fineTune.afterRun(view.ownerId);
      const payload: ProgressPayload = { ...withFineTuneField(resultsMessage({ ...view, result, fineTuneTotal, chartFileName: CHART_FILE_NAME }), personal) };
      try {
        payload.files = [{ attachment: await renderResultsChart(result), name: CHART_FILE_NAME }];
      } catch (err) {
        ctx.logger.warn({ err }, 'results chart could not be drawn; sending the results without it');
        payload.embeds = payload.embeds.map((e) => ({ ...e, image: undefined }));
      }
      await reporter.finish(payload);
    },
    onError: async (err) => {
      ctx.logger.error({ err, user: view.ownerId }, 'training run failed');
      await reporter.finish(runFailedMessage());
    },
  };
}

function runFailedMessage(): ProgressPayload {
  return {
    embeds: [{ title: 'Training stopped', description: 'The run hit an error on my side. What was done is kept; please try again.', color: 0xed4245 }],
    components: [],
  };
}

export function resumedMessage(done: number, total: number): string {
  return `Zega restarted — resuming at ${done}/${total}.`;
}

/**
 * The listener of a run resumed after a restart: its old progress message is edited with the
 * bot's token (or reposted when it is gone) and says where the run picks up.
 */
export function resumedRunListener(ctx: CommandContext, client: Client, job: RunJob, done: number): RunListener {
  const userId = job.options.userId;
  const guild = job.options.guildId ? { guildId: job.options.guildId } : {};
  const teachers = ctx.runtime.teachers.map(({ id, provider, model, defaults }) => ({ id, provider, model, defaults }));
  const reporter = new ProgressReporter({
    client,
    userId,
    channelId: job.location?.channelId ?? null,
    ...(job.location ? { message: { channelId: job.location.channelId, messageId: job.location.messageId } } : {}),
    logger: ctx.logger,
    timings: reporterTimings,
    onMove: locationRecorder(ctx, job.runId, guild),
  });
  const view: RunView = { ownerId: userId, runToken: job.runId, options: job.options, teachers };
  const note = resumedMessage(done, job.options.examples);
  // At once, so a message that said "running" before the restart does not go on saying it.
  reporter.show(progressMessage({ ...view, totals: { ...initialTotals(job.options), done }, status: 'running', note }));
  return progressListener(ctx, reporter, view, note);
}

/** Keeps the queue told where the run's progress is shown (for links, and for a restart). */
function locationRecorder(ctx: CommandContext, token: string, guild: { guildId?: string }): (location: ProgressLocation) => void {
  return (location) => {
    // A DM has no guild: its link is /channels/@me/…
    ctx.runs
      .setLocation(token, { channelId: location.channelId, messageId: location.messageId, via: location.via, ...(location.via === 'dm' ? {} : guild) })
      .catch((err: unknown) => ctx.logger.warn({ err }, 'could not record the progress message'));
  };
}

/** Start pressed: the panel becomes the live progress message of a queued or running run. */
async function startRun(interaction: ButtonInteraction | AnySelectMenuInteraction, setup: Setup, ctx: CommandContext): Promise<void> {
  const userId = interaction.user.id;
  // A double press finds the start under way (this process) or the panel gone (another process took it).
  if (starting.has(setup.runToken)) return replyPrivately(interaction, ALREADY_STARTED);
  starting.add(setup.runToken);
  try {
    if (!(await setups.delete(ctx.runtime.store.state, userId, setup.runToken))) return replyPrivately(interaction, ALREADY_STARTED);
    await startSetupRun(interaction, setup, ctx);
  } finally {
    starting.delete(setup.runToken);
  }
}

async function startSetupRun(interaction: ButtonInteraction | AnySelectMenuInteraction, setup: Setup, ctx: CommandContext): Promise<void> {
  const userId = interaction.user.id;
  const token = setup.runToken;
  const guild = setup.guildId ? { guildId: setup.guildId } : {};
  const options: RunOptions = {
    userId,
    ...guild,
    examples: setup.examples,
    genres: setup.genres,
    save: setup.save,
    memory: setup.memory,
    voting: setup.voting,
    teachers: setup.teacherSelection,
  };
  const teachers = ctx.runtime.teachers.map(({ id, provider, model, defaults }) => ({ id, provider, model, defaults }));
  const view: RunView = { ownerId: userId, runToken: token, options, teachers };

  const reporter = new ProgressReporter({
    interaction,
    client: interaction.client,
    userId,
    channelId: interaction.channelId,
    logger: ctx.logger,
    timings: reporterTimings,
    onMove: locationRecorder(ctx, token, guild),
  });
  // Whatever the listener shows before the panel is acknowledged waits for that acknowledgment.
  let acknowledge!: (ack: Promise<unknown>) => void;
  reporter.startAfter(new Promise<unknown>((resolve) => (acknowledge = resolve)));

  let session: RunSession;
  try {
    session = await ctx.runs.submit(token, { ...options }, progressListener(ctx, reporter, view));
  } catch (err) {
    acknowledge(Promise.reject(new Error('the run was not queued')));
    if (err instanceof DailyQuotaError) return replyPrivately(interaction, quotaMessage(err.remaining, err.limit, err.availableAt));
    if (err instanceof ActiveRunError) return replyPrivately(interaction, 'You already have a run in progress. Use `/autotrain status` to find it.');
    if (err instanceof QueueClosedError) return replyPrivately(interaction, 'Zega is restarting and takes no new runs for a moment. Please try again in a minute.');
    // The run could not be queued (e.g. storage failed): the panel says so, as for a run that failed.
    ctx.logger.error({ err, user: userId }, 'training run failed');
    await interaction.update({ ...runFailedMessage(), allowedMentions: NO_MENTIONS });
    return;
  }
  locationRecorder(ctx, token, guild)({ channelId: interaction.channelId, messageId: interaction.message.id, via: 'interaction' });

  // Acknowledge within 3 s by turning the panel into the progress (or queued) message.
  const first =
    reporter.takePending() ??
    (session.status === 'queued'
      ? queuedMessage({ ...view, queuePosition: (await ctx.runs.queuePosition(token)) ?? 1 })
      : progressMessage({ ...view, totals: initialTotals(options), status: 'running' }));
  const acknowledged = interaction.update({ ...first, allowedMentions: NO_MENTIONS });
  acknowledge(acknowledged);
  try {
    await acknowledged;
  } catch (err) {
    // Nobody sees this run: do not let it spend the teachers' quota.
    await ctx.runs.stop(token);
    throw err;
  }
}

function quotaMessage(remaining: number, limit: number, availableAt?: number): string {
  const when = availableAt ? ` More frees up <t:${Math.ceil(availableAt / 1000)}:R>.` : '';
  return remaining === 0
    ? `You have trained your ${limit} examples for the last 24 hours — this keeps the teachers' quota fair for everyone.${when}`
    : `You can train ${remaining} more examples in the next 24 hours (limit ${limit}). Ask for \`examples:${remaining}\` or fewer.${when}`;
}

/** Progress timings; tests shorten the token lifetime to exercise the handover. */
let reporterTimings: Partial<ReporterTimings> = {};
export function setReporterTimings(timings: Partial<ReporterTimings>): void {
  reporterTimings = timings;
}

export const autotrain: Command = {
  data: data.toJSON(),
  scopes: ['setup', 'run', 'results'],

  async execute(interaction, ctx) {
    if (interaction.options.getSubcommand() === 'status') return status(interaction, ctx);
    return start(interaction, ctx);
  },

  async autocomplete(interaction) {
    // Complete the last comma-separated entry; keep what the user already typed before it.
    const typed = interaction.options.getFocused();
    const parts = typed.split(',');
    const last = (parts.pop() ?? '').trim().toLowerCase();
    const chosen = parts.map((p) => p.trim()).filter((p) => isGenre(p));
    const prefix = chosen.length > 0 ? `${chosen.join(', ')}, ` : '';
    const matches = GENRES.filter((g) => !chosen.includes(g) && g.toLowerCase().includes(last));
    await interaction.respond(fitChoices(matches.map((g) => ({ name: `${prefix}${g}`, value: `${prefix}${g}` }))));
  },

  async component(interaction, id, ctx) {
    if (id.scope === 'run' && id.action === ACTIONS.run.stop) {
      if (!(await ctx.runs.stop(id.token))) return replyPrivately(interaction, 'This run has already finished.');
      // The reporter shows the stopping state; acknowledging is all this press needs.
      return interaction.deferUpdate().then(() => undefined);
    }
    if (id.scope === 'results') {
      if (id.action === ACTIONS.results.stories) return sendStoryList(interaction, ctx, { page: 1, sort: 'newest' });
      if (id.action === ACTIONS.results.leaderboard) return sendLeaderboard(interaction, ctx, { scope: interaction.guildId ? 'server' : 'global' });
      if (id.action === ACTIONS.results.again) {
        const last = (await ctx.runtime.store.runs.latest(interaction.user.id))?.options;
        return openPanel(interaction, ctx, {
          examples: last?.examples ?? DEFAULT_EXAMPLES,
          genres: (last?.genres ?? []).filter((g): g is Genre => isGenre(g)),
          save: last?.save ?? true,
          memory: last?.memory ?? true,
          voting: last?.voting ?? DEFAULT_VOTING,
          teacherSelection: last?.teachers ?? 'all',
        });
      }
    }
    // The router lets only the owner press: the presser's id is the owner's.
    const setup = await setups.get(ctx.runtime.store.state, interaction.user.id, id.token);
    if (!setup) {
      // A second press on Start (or any control) after the run began finds no panel any more.
      if (await ctx.runs.session(id.token)) return replyPrivately(interaction, ALREADY_STARTED);
      return replyPrivately(interaction, 'This setup panel has expired. Run `/autotrain start` again.');
    }
    switch (id.action) {
      case ACTIONS.setup.genres:
        if (!interaction.isStringSelectMenu()) return;
        setup.genres = interaction.values.filter((v): v is Genre => isGenre(v));
        break;
      case ACTIONS.setup.save:
        setup.save = !setup.save;
        break;
      case ACTIONS.setup.memory:
        setup.memory = !setup.memory;
        break;
      case ACTIONS.setup.teachers:
        setup.teacherSelection = setup.teacherSelection === 'auto' ? 'all' : 'auto';
        break;
      case ACTIONS.setup.cancel:
        await setups.delete(ctx.runtime.store.state, interaction.user.id, id.token);
        return interaction.update({ content: 'Training cancelled.', embeds: [], components: [], allowedMentions: NO_MENTIONS }).then(() => undefined);
      case ACTIONS.setup.start:
        return startRun(interaction, setup, ctx);
      default:
        return replyPrivately(interaction, 'Unknown button.');
    }
    setup.estimate = estimateFor(ctx, setup.examples, setup.voting);
    await setups.set(ctx.runtime.store.state, interaction.user.id, id.token, setup);
    await interaction.update({ ...setupPanel(setup), allowedMentions: NO_MENTIONS });
  },
};
