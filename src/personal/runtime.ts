/**
 * The personal-model services of one Runtime: the FineTuneService (one per runtime, so the
 * per-user round lock is shared by every caller of the process) and what /write needs.
 *
 * Settings: PERSONAL_BASE_MODEL (default llama3.2), FINE_TUNE_EVERY (default 50) and
 * PERSONAL_CONTEXT_TOKENS (default 8192) from the config; OLLAMA_HOST as for the Ollama teacher.
 */
import type { Runtime } from '../app/runtime.ts';
import type { Config } from '../config/env.ts';
import { FINE_TUNE_EVERY } from '../trainer/types.ts';
import { DEFAULT_BASE_MODEL, FineTuneService, ollamaConnector, type OllamaConnector } from './fineTuneRounds.ts';
import { DEFAULT_CONTEXT_TOKENS } from './modelfile.ts';
import type { WriterDeps } from './writer.ts';

/** The config variables of this feature (optional until the config declares them). */
export interface PersonalConfig {
  PERSONAL_BASE_MODEL?: string;
  FINE_TUNE_EVERY?: number;
  PERSONAL_CONTEXT_TOKENS?: number;
}

export interface PersonalSettings {
  baseModel: string;
  every: number;
  contextTokens: number;
  ollamaHost: string;
  timeoutMs: number;
}

export function personalSettings(config: Pick<Config, 'OLLAMA_HOST' | 'TEACHER_TIMEOUT_MS'> & PersonalConfig): PersonalSettings {
  const positive = (value: number | undefined, fallback: number) => (typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback);
  return {
    baseModel: config.PERSONAL_BASE_MODEL?.trim() || DEFAULT_BASE_MODEL,
    every: positive(config.FINE_TUNE_EVERY, FINE_TUNE_EVERY),
    contextTokens: positive(config.PERSONAL_CONTEXT_TOKENS, DEFAULT_CONTEXT_TOKENS),
    ollamaHost: config.OLLAMA_HOST,
    timeoutMs: config.TEACHER_TIMEOUT_MS,
  };
}

export interface PersonalServices {
  settings: PersonalSettings;
  fineTune: FineTuneService;
  writer: WriterDeps;
}

const services = new WeakMap<Runtime, PersonalServices>();

export interface PersonalServicesOptions {
  /** Another way to reach Ollama for builds (tests, proxies). */
  ollama?: OllamaConnector;
  fetch?: typeof globalThis.fetch;
}

export function createPersonalServices(runtime: Runtime, options: PersonalServicesOptions = {}): PersonalServices {
  const settings = personalSettings(runtime.config);
  const fineTune = new FineTuneService({
    fineTune: runtime.store.fineTune,
    ollama: options.ollama ?? ollamaConnector(settings.ollamaHost, options.fetch ? { fetch: options.fetch } : {}),
    baseModel: settings.baseModel,
    every: settings.every,
    contextTokens: settings.contextTokens,
    logger: runtime.logger,
  });
  const writer: WriterDeps = {
    store: runtime.store,
    get teachers() {
      return runtime.teachers;
    },
    ollamaHost: settings.ollamaHost,
    timeoutMs: settings.timeoutMs,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  return { settings, fineTune, writer };
}

/** The services of this runtime, created on first use. */
export function personalFor(runtime: Runtime): PersonalServices {
  let found = services.get(runtime);
  if (!found) {
    found = createPersonalServices(runtime);
    services.set(runtime, found);
  }
  return found;
}
