/**
 * A provider answering 5 MB: every real SDK stops reading past MAX_REPLY_BYTES (the guarded fetch
 * cancels the download), the failure is a classified bad_reply, and what a run stores per
 * candidate is bounded even for an answer under the byte cap.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ANSWER_CHARS } from '../src/teachers/failure.ts';
import { MAX_REPLY_BYTES } from '../src/teachers/guardedFetch.ts';
import { buildTeachers, DEFAULT_ROSTER, type ProviderConnections } from '../src/teachers/roster.ts';
import type { Provider } from '../src/teachers/types.ts';
import { startTraining } from '../src/trainer/run.ts';
import { HUGE_REPLY_BYTES } from '../src/simulators/common.ts';
import { startProviderSimulators, type ProviderSimulators } from '../src/simulators/index.ts';
import { RecordingStore } from './helpers/recordingStore.ts';

let sims: ProviderSimulators;
let connections: ProviderConnections;

beforeAll(async () => {
  sims = await startProviderSimulators();
  connections = sims.connections;
});
afterAll(() => sims.close());
beforeEach(() => sims.reset());

/** A fetch that counts the body bytes actually pulled from the network by whoever reads the response. */
function countingFetch(): { fetch: typeof fetch; bytes: () => number } {
  let bytes = 0;
  const counting: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (!response.body) return response;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        bytes += value.byteLength;
        controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return { fetch: counting, bytes: () => bytes };
}

describe('a teacher answering 5 MB', () => {
  const sample: Record<Provider, string> = { gemini: 'gemini-2.5-flash', groq: 'groq-llama-3.3-70b', huggingface: 'hf-qwen2.5-7b', ollama: 'ollama-llama3.2' };

  for (const provider of Object.keys(sample) as Provider[]) {
    it(`${provider}: stops reading past ${MAX_REPLY_BYTES} bytes and reports bad_reply`, async () => {
      const entry = DEFAULT_ROSTER.find((e) => e.id === sample[provider])!;
      const counter = countingFetch();
      const [teacher] = buildTeachers([entry], { [provider]: connections[provider] }, { unlimited: true, timeoutMs: 20_000, fetch: counter.fetch });
      sims[provider].injectFault(entry.model, 'huge');
      const outcome = await teacher!.generate({ messages: [{ role: 'user', content: 'A story.' }], settings: { temperature: 0.5, topP: 0.9, maxTokens: 100 } });
      expect(outcome.ok).toBe(false);
      if (outcome.ok) return;
      expect(outcome.failure.kind).toBe('bad_reply');
      expect(outcome.failure.message).toMatch(/larger than 1048576 bytes/);
      // Read at most the cap plus one network chunk: nowhere near the 5 MB sent.
      expect(counter.bytes()).toBeLessThan(MAX_REPLY_BYTES + 256 * 1024);
      expect(counter.bytes()).toBeLessThan(HUGE_REPLY_BYTES / 4);
    });
  }

  it('a run with one flooding teacher finishes, the others win, nothing huge is kept', async () => {
    const store = new RecordingStore();
    sims.groq.injectFault('llama-3.3-70b-versatile', 'huge', 3);
    // Under the byte cap, over the per-candidate cap: kept, but cut.
    sims.groq.setBehavior('llama-3.1-8b-instant', { text: 'The keeper wrote in the log. '.repeat(20_000) });
    const teachers = buildTeachers(DEFAULT_ROSTER, connections, { unlimited: true, timeoutMs: 20_000 });
    const result = await startTraining({ userId: 'u', examples: 3, genres: [], save: false, memory: false, voting: 'consensus', seed: 's' }, { teachers, store }).done;
    expect(result.status).toBe('done');
    expect(result.successful).toBe(3);
    for (const example of store.examples) {
      const flooder = example.outcomes.find((o) => o.teacherId === 'groq-llama-3.3-70b');
      expect(flooder?.failure?.kind).toBe('bad_reply');
      const long = example.outcomes.find((o) => o.teacherId === 'groq-llama-3.1-8b');
      expect(long?.text?.length).toBe(MAX_ANSWER_CHARS);
      expect(long?.finishReason).toBe('length');
      for (const o of example.outcomes) expect(o.text?.length ?? 0).toBeLessThanOrEqual(MAX_ANSWER_CHARS);
    }
  });
});
