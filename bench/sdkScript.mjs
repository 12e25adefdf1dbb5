// The second peer of the overhead benchmark: the plain script's work (bench/plainScript.mjs), each
// call made through the provider's official SDK — the ones Zega must use — instead of fetch. No
// limits, no retries, no scoring, no storage: what the SDKs alone cost, the floor under Zega's figure.
// Usage: node bench/sdkScript.mjs EXAMPLES CONCURRENCY OUT_FILE (simulator URLs in the env).
import { appendFile } from 'node:fs/promises';
import Groq from 'groq-sdk';
import { GoogleGenAI } from '@google/genai';
import { InferenceClient } from '@huggingface/inference';
import { Ollama } from 'ollama';
const [examples, concurrency, outFile] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const env = process.env;
const messages = (prompt) => [{ role: 'system', content: 'You are an award-winning author.' }, { role: 'user', content: prompt }];
const groq = new Groq({ apiKey: env.GROQ_API_KEY, baseURL: env.GROQ_BASE_URL, maxRetries: 0 });
const ai = new GoogleGenAI({ apiKey: env.GEMINI_API_KEY, vertexai: false, httpOptions: { baseUrl: env.GEMINI_BASE_URL } });
const hf = new InferenceClient(env.HF_TOKEN, { endpointUrl: `${env.HF_BASE_URL}` });
const ollama = new Ollama({ host: env.OLLAMA_HOST });
const openai = (model) => async (prompt) => (await groq.chat.completions.create({ model, messages: messages(prompt), temperature: 0.9, max_completion_tokens: 600 })).choices?.[0]?.message?.content ?? '';
const hfChat = (model) => async (prompt) => (await hf.chatCompletion({ model, messages: messages(prompt), temperature: 0.9, max_tokens: 600 })).choices?.[0]?.message?.content ?? '';
const gemini = (model) => async (prompt) => (await ai.models.generateContent({ model, contents: [{ role: 'user', parts: [{ text: prompt }] }], config: { temperature: 0.9, maxOutputTokens: 600 } })).text ?? '';
const oll = (model) => async (prompt) => (await ollama.chat({ model, messages: messages(prompt), stream: false, options: { temperature: 0.9 } })).message?.content ?? '';
const teachers = {
  'gemini-2.5-flash': gemini('gemini-2.5-flash'),
  'gemini-2.5-flash-lite': gemini('gemini-2.5-flash-lite'),
  'groq-llama-3.3-70b': openai('llama-3.3-70b-versatile'),
  'groq-llama-3.1-8b': openai('llama-3.1-8b-instant'),
  'hf-qwen2.5-7b': hfChat('Qwen/Qwen2.5-7B-Instruct'),
  'hf-mistral-7b': hfChat('mistralai/Mistral-7B-Instruct-v0.3'),
  'ollama-llama3.2': oll('llama3.2'),
};
let failures = 0;
async function example(i) {
  const prompt = `Write a short story about the lighthouse number ${i}.`;
  const answers = await Promise.all(
    Object.entries(teachers).map(async ([id, ask]) => ({
      id,
      text: await ask(prompt).catch(() => {
        failures += 1;
        return '';
      }),
    })),
  );
  const winner = answers.reduce((best, a) => (a.text.length > best.text.length ? a : best));
  await appendFile(outFile, `${JSON.stringify({ i, prompt, winner: winner.id, text: winner.text })}\n`);
}
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < examples) await example(next++);
  }),
);
// A peer whose calls failed did less work: the benchmark refuses its figure.
process.stdout.write(`${JSON.stringify({ elapsedMs: Math.round(performance.now() - started), failures })}\n`);
