/**
 * Start-up check of the configured providers: each one whose server cannot be reached gets a
 * warning naming the setting and the URL, so a typo in GROQ_BASE_URL or an Ollama that is not
 * running is said once, at start, instead of as a failed run later. Any HTTP answer counts as
 * reachable (keys are checked by the first real call); only a connection that fails does not.
 */
import type { Config } from '../config/env.ts';
import { networkCause } from './failure.ts';
import type { RosterEntry } from './roster.ts';
import type { Provider } from './types.ts';

/** Where each SDK goes when no base URL is set (their documented defaults). */
export const DEFAULT_BASE_URLS: Record<Exclude<Provider, 'ollama'>, string> = {
  gemini: 'https://generativelanguage.googleapis.com',
  groq: 'https://api.groq.com',
  huggingface: 'https://router.huggingface.co',
};

export type Reachability = { ok: true } | { ok: false; why: string };

/** One GET within `timeoutMs`: any HTTP status is an answer. */
export async function probeUrl(url: string, timeoutMs = 2000, fetchImpl: typeof fetch = fetch): Promise<Reachability> {
  try {
    const response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return { ok: true };
  } catch (err) {
    if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return { ok: false, why: `no answer within ${timeoutMs} ms` };
    return { ok: false, why: networkCause(err) ?? (err instanceof Error ? err.message : String(err)) };
  }
}

interface Target {
  provider: Provider;
  setting: string;
  url: string;
  consequence: string;
}

function targets(config: Config, roster: readonly RosterEntry[]): Target[] {
  const count = (p: Provider) => roster.filter((e) => e.provider === p).length;
  const teachers = (p: Provider, label: string) => `the ${count(p) === 1 ? `${label} teacher` : `${count(p)} ${label} teachers`} will fail until it answers`;
  const list: Target[] = [];
  if (config.GEMINI_API_KEY && count('gemini') > 0)
    list.push({ provider: 'gemini', setting: 'GEMINI_BASE_URL', url: config.GEMINI_BASE_URL ?? DEFAULT_BASE_URLS.gemini, consequence: teachers('gemini', 'Gemini') });
  if (config.GROQ_API_KEY && count('groq') > 0)
    list.push({ provider: 'groq', setting: 'GROQ_BASE_URL', url: config.GROQ_BASE_URL ?? DEFAULT_BASE_URLS.groq, consequence: teachers('groq', 'Groq') });
  if (config.HF_TOKEN && count('huggingface') > 0)
    list.push({ provider: 'huggingface', setting: 'HF_BASE_URL', url: config.HF_BASE_URL ?? DEFAULT_BASE_URLS.huggingface, consequence: teachers('huggingface', 'Hugging Face') });
  return list;
}

export interface StartupCheck {
  /** Whether OLLAMA_HOST answered Ollama's version endpoint (the Ollama teacher is enabled only then). */
  ollamaReachable: boolean;
  /** One line per problem, each naming the setting and the URL. */
  warnings: string[];
}

/** Probes every configured provider and OLLAMA_HOST at once. */
export async function checkProviders(config: Config, roster: readonly RosterEntry[], fetchImpl: typeof fetch = fetch, timeoutMs = 2000): Promise<StartupCheck> {
  const wantsOllama = config.OLLAMA_HOST !== 'off' && roster.some((e) => e.provider === 'ollama');
  const [ollama, ...others] = await Promise.all([
    wantsOllama ? probeUrl(new URL('/api/version', config.OLLAMA_HOST).toString(), timeoutMs, fetchImpl) : Promise.resolve(undefined),
    ...targets(config, roster).map(async (target) => ({ target, result: await probeUrl(target.url, timeoutMs, fetchImpl) })),
  ]);
  const warnings: string[] = [];
  if (ollama && !ollama.ok) {
    warnings.push(`OLLAMA_HOST ${config.OLLAMA_HOST} does not answer (${ollama.why}): the Ollama teacher is off. Start Ollama (ollama serve), fix OLLAMA_HOST, or set OLLAMA_HOST=off.`);
  }
  for (const { target, result } of others) {
    if (!result.ok) warnings.push(`${target.setting} ${target.url} cannot be reached (${result.why}): ${target.consequence}.`);
  }
  return { ollamaReachable: ollama?.ok ?? false, warnings };
}
