/**
 * All four provider simulators at once, with the environment that points Zega's real SDKs at
 * them. Used by the tests, `npm run demo` and `npm run bench`; nothing here reaches the internet.
 */
import { startGeminiSimulator } from './gemini.ts';
import { startGroqSimulator } from './groq.ts';
import { startHuggingFaceSimulator } from './huggingface.ts';
import { startOllamaSimulator, type OllamaSimulatorHandle } from './ollama.ts';
import type { SimulatorHandle } from './common.ts';
import type { ProviderConnections } from '../teachers/roster.ts';

export interface ProviderSimulators {
  gemini: SimulatorHandle;
  groq: SimulatorHandle;
  huggingface: SimulatorHandle;
  ollama: OllamaSimulatorHandle;
  /** Settings that enable all 7 default teachers against the simulators (keys are dummies). */
  env: Record<string, string>;
  /** The same, as connections for buildTeachers (all 7 default teachers). */
  connections: ProviderConnections;
  all(): SimulatorHandle[];
  reset(): void;
  close(): Promise<void>;
}

export const SIMULATED_KEYS = {
  GEMINI_API_KEY: 'sim-gemini-key-0000',
  GROQ_API_KEY: 'sim-groq-key-0000',
  HF_TOKEN: 'sim-hf-token-0000',
} as const;

export async function startProviderSimulators(): Promise<ProviderSimulators> {
  const [gemini, groq, huggingface, ollama] = await Promise.all([
    startGeminiSimulator(),
    startGroqSimulator(),
    startHuggingFaceSimulator(),
    startOllamaSimulator(),
  ]);
  const all = () => [gemini, groq, huggingface, ollama];
  return {
    gemini,
    groq,
    huggingface,
    ollama,
    env: {
      ...SIMULATED_KEYS,
      GEMINI_BASE_URL: gemini.url,
      GROQ_BASE_URL: groq.url,
      HF_BASE_URL: huggingface.url,
      OLLAMA_HOST: ollama.url,
      // The simulators have no quota; the roster's free-tier limits would only slow tests down.
      RATE_LIMITS: 'off',
    },
    connections: {
      gemini: { apiKey: SIMULATED_KEYS.GEMINI_API_KEY, baseUrl: gemini.url },
      groq: { apiKey: SIMULATED_KEYS.GROQ_API_KEY, baseUrl: groq.url },
      huggingface: { apiKey: SIMULATED_KEYS.HF_TOKEN, baseUrl: huggingface.url },
      ollama: { baseUrl: ollama.url },
    },
    all,
    reset: () => all().forEach((s) => s.reset()),
    close: async () => {
      await Promise.all(all().map((s) => s.close()));
    },
  };
}
