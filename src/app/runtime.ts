/**
 * Assembles what every front end needs from the environment: config, logger, enabled teachers
 * and the store. The CLI, the demo and the bot all start here, so they agree on every setting.
 */
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config/env.ts';
import { createLogger, registerSecrets } from '../logger.ts';
import { buildTeachers, connectionsFromConfig, loadRoster, type BuildTeachersOptions, type RosterEntry } from '../teachers/roster.ts';
import { checkProviders } from '../teachers/reachability.ts';
import type { Teacher } from '../teachers/types.ts';
import { openStore, type ZegaStore } from '../storage/index.ts';
import { persistLimits } from '../teachers/limits/persistedLimits.ts';

export interface Runtime {
  config: Config;
  logger: Logger;
  roster: RosterEntry[];
  teachers: Teacher[];
  store: ZegaStore;
  /** Start-up problems (an unreachable provider or OLLAMA_HOST), each naming the setting and URL; already logged. */
  warnings: string[];
  close(): Promise<void>;
}

export interface RuntimeOptions extends BuildTeachersOptions {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const config = loadConfig(options.env ?? process.env);
  registerSecrets(config.GEMINI_API_KEY, config.GROQ_API_KEY, config.HF_TOKEN, config.DISCORD_TOKEN);
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const roster = await loadRoster(config.TEACHERS_FILE);
  const { ollamaReachable, warnings } = await checkProviders(config, roster, options.fetch);
  for (const warning of warnings) logger.warn(warning);
  const teachers = buildTeachers(roster, connectionsFromConfig(config, ollamaReachable), {
    timeoutMs: config.TEACHER_TIMEOUT_MS,
    unlimited: config.RATE_LIMITS === 'off',
    rateWindowMs: config.RATE_WINDOW_MS,
    ...options,
  });
  const store = await openStore(config.STORAGE_URL, { logger });
  // One process: each teacher's rate window survives a restart in the store. A cluster's windows
  // are shared on Redis (sharedRate) and live there.
  const limits = options.sharedRate
    ? undefined
    : await persistLimits(teachers, store.rateWindows, {
        windowMs: options.rateWindowMs ?? config.RATE_WINDOW_MS,
        ...(options.clock ? { clock: options.clock } : {}),
        onError: (err) => logger.warn({ err }, 'could not keep a teacher rate window in the store'),
      });
  return {
    config,
    logger,
    roster,
    teachers,
    store,
    warnings,
    close: async () => {
      await limits?.flushed();
      await store.close();
    },
  };
}
