// The plain peer of the overhead benchmark: what a ~60-line script does for the same work —
// for each example, Promise.all of 7 fetches (one per teacher, each provider's wire format),
// pick a winner (the longest story), append one JSON line. No limits, no retries, no scoring.
// Usage: node bench/plainScript.mjs EXAMPLES CONCURRENCY OUT_FILE (simulator URLs in the env);
// prints {"elapsedMs"} of the work itself.
import { appendFile } from 'node:fs/promises';

const [examples, concurrency, outFile] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const env = process.env;
const json = (url, body, headers = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }).then((r) => r.json());
const messages = (prompt) => [
  { role: 'system', content: 'You are an award-winning author.' },
  { role: 'user', content: prompt },
];
const openai = (base, model, key) => (prompt) =>
  json(`${base}/chat/completions`, { model, messages: messages(prompt), temperature: 0.9, max_tokens: 600 }, { authorization: `Bearer ${key}` }).then(
    (r) => r.choices?.[0]?.message?.content ?? '',
  );
const gemini = (model) => (prompt) =>
  json(
    `${env.GEMINI_BASE_URL}/v1beta/models/${model}:generateContent`,
    { contents: [{ role: 'user', parts: [{ text: prompt }] }], generationConfig: { temperature: 0.9, maxOutputTokens: 600 } },
    { 'x-goog-api-key': env.GEMINI_API_KEY },
  ).then((r) => (r.candidates?.[0]?.content?.parts ?? []).map((p) => p.text ?? '').join(''));
const ollama = (model) => (prompt) =>
  json(`${env.OLLAMA_HOST}/api/chat`, { model, messages: messages(prompt), stream: false, options: { temperature: 0.9 } }).then((r) => r.message?.content ?? '');
const teachers = {
  'gemini-2.5-flash': gemini('gemini-2.5-flash'),
  'gemini-2.5-flash-lite': gemini('gemini-2.5-flash-lite'),
  'groq-llama-3.3-70b': openai(`${env.GROQ_BASE_URL}/openai/v1`, 'llama-3.3-70b-versatile', env.GROQ_API_KEY),
  'groq-llama-3.1-8b': openai(`${env.GROQ_BASE_URL}/openai/v1`, 'llama-3.1-8b-instant', env.GROQ_API_KEY),
  'hf-qwen2.5-7b': openai(`${env.HF_BASE_URL}/v1`, 'Qwen/Qwen2.5-7B-Instruct', env.HF_TOKEN),
  'hf-mistral-7b': openai(`${env.HF_BASE_URL}/v1`, 'mistralai/Mistral-7B-Instruct-v0.3', env.HF_TOKEN),
  'ollama-llama3.2': ollama('llama3.2'),
};

async function example(i) {
  const prompt = `Write a short story about the lighthouse number ${i}.`;
  const answers = await Promise.all(Object.entries(teachers).map(async ([id, ask]) => ({ id, text: await ask(prompt).catch(() => '') })));
  const winner = answers.reduce((best, a) => (a.text.length > best.text.length ? a : best));
  await appendFile(outFile, `${JSON.stringify({ i, prompt, winner: winner.id, text: winner.text })}\n`);
}

let next = 0;
const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < examples) await example(next++);
}));
// Its own time, start-up excluded, for benchmarks that compare runs rather than processes.
process.stdout.write(`${JSON.stringify({ elapsedMs: Math.round(performance.now() - started) })}\n`);
