/** Dataset lines (SFT, Alpaca, DPO) built from stored examples, and their export from a real store, line by line. */
import { afterEach, describe, expect, it } from 'vitest';
import {
  alpacaLine,
  datasetFileName,
  datasetLine,
  DPO_MARGIN,
  preferencePair,
  rejectedCandidate,
  sftLine,
} from '../src/personal/datasets.ts';
import { exportDataset } from '../src/personal/export.ts';
import { openStore, type FineTuneExample, type ZegaStore } from '../src/storage/index.ts';
import { storySystemPrompt } from '../src/trainer/systemPrompt.ts';
import { storyQuality } from '../src/trainer/storyScore.ts';

const SETTINGS = { temperature: 0.9, topP: 0.95, maxTokens: 600 };

function example(over: Partial<FineTuneExample> = {}): FineTuneExample {
  return {
    v: 1,
    seq: 0,
    userId: 'alice',
    runId: 'run-1',
    index: 3,
    system: storySystemPrompt('Horror'),
    prompt: 'Write about a lighthouse that blinks in Morse.',
    story: 'The lamp stuttered. "Help," it spelled, and the keeper listened.',
    quality: 8.14,
    textQuality: 8.8,
    storyQuality: 6.8,
    genre: 'Horror',
    teacherId: 'groq-llama-3.3-70b',
    settings: SETTINGS,
    rejected: [
      { teacherId: 'gemini-2.5-flash', text: 'A close second.', textQuality: 8.5, storyQuality: 6.5 },
      { teacherId: 'hf-qwen2.5-7b', text: 'Clearly worse.', textQuality: 8.3, storyQuality: 6.3 },
      { teacherId: 'hf-mistral-7b', text: 'Much worse.', textQuality: 7.0, storyQuality: 5.0 },
    ],
    createdAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    ...over,
  };
}

const METADATA = {
  quality: 8.14,
  text_quality: 8.8,
  story_quality: 6.8,
  genre: 'Horror',
  model: 'groq-llama-3.3-70b',
  settings: { temperature: 0.9, top_p: 0.95, max_tokens: 600 },
  run_id: 'run-1',
  example_index: 3,
  created_at: '2026-01-02T03:04:05.000Z',
};

describe('line builders', () => {
  it('sft: system, user, assistant messages with quality, genre and model as metadata', () => {
    const e = example();
    expect(sftLine(e)).toEqual({
      messages: [
        { role: 'system', content: e.system },
        { role: 'user', content: e.prompt },
        { role: 'assistant', content: e.story },
      ],
      metadata: METADATA,
    });
  });

  it('alpaca: the brief as instruction, the request as input, the story as output', () => {
    const e = example();
    expect(alpacaLine(e)).toEqual({ instruction: e.system, input: e.prompt, output: e.story, metadata: METADATA });
  });

  it('dpo: the winner against the best candidate at least 0.5 below it, with both models and scores', () => {
    const e = example();
    expect(preferencePair(e)).toEqual({
      prompt: [
        { role: 'system', content: e.system },
        { role: 'user', content: e.prompt },
      ],
      chosen: [{ role: 'assistant', content: e.story }],
      rejected: [{ role: 'assistant', content: 'Clearly worse.' }],
      metadata: {
        genre: 'Horror',
        chosen_model: 'groq-llama-3.3-70b',
        chosen_score: 6.8,
        chosen_quality: 8.14,
        rejected_model: 'hf-qwen2.5-7b',
        rejected_score: 6.3,
        margin: 0.5,
        run_id: 'run-1',
        example_index: 3,
        created_at: '2026-01-02T03:04:05.000Z',
      },
    });
  });

  it('dpo: no pair when every loser is within the margin, rated above the winner, empty or the same text', () => {
    expect(preferencePair(example({ rejected: [{ teacherId: 'a', text: 'close', textQuality: 8.4, storyQuality: 6.4 }] }))).toBeUndefined();
    expect(preferencePair(example({ rejected: [{ teacherId: 'a', text: 'better', textQuality: 9.3, storyQuality: 7.3 }] }))).toBeUndefined();
    expect(preferencePair(example({ rejected: [] }))).toBeUndefined();
    const e = example();
    expect(preferencePair(example({ rejected: [{ teacherId: 'a', text: ` ${e.story} `, textQuality: 7, storyQuality: 1 }, { teacherId: 'b', text: '  ', textQuality: 7, storyQuality: 1 }] }))).toBeUndefined();
    // The margin is configurable; 0.5 is the default.
    expect(DPO_MARGIN).toBe(0.5);
    expect(rejectedCandidate(e, 1)?.candidate.teacherId).toBe('hf-mistral-7b');
    expect(rejectedCandidate(e, 0.2)?.candidate.teacherId).toBe('gemini-2.5-flash');
  });

  it('dpo: the story score margin decides, whatever the text quality says', () => {
    // Far below by text quality, close by story score: no pair.
    expect(preferencePair(example({ rejected: [{ teacherId: 'a', text: 'other', textQuality: 7.0, storyQuality: 6.6 }] }))).toBeUndefined();
    // Close by text quality, far below by story score: a pair.
    expect(preferencePair(example({ rejected: [{ teacherId: 'a', text: 'other', textQuality: 8.7, storyQuality: 4.0 }] }))?.metadata).toMatchObject({ chosen_score: 6.8, rejected_score: 4, margin: 2.8 });
  });

  it('dpo: examples stored without story scores get them computed from the texts, both sides alike', () => {
    const long = 'The keeper climbed the tower at dusk and lit the lamp. A boat drifted toward the rocks, and she rang the bell until the sailors turned. "Hold on," she called into the wind, and they held on until morning came.';
    const old = example({ story: long, storyQuality: undefined, rejected: [{ teacherId: 'a', text: 'Lamp.', textQuality: 7 }] });
    const pair = preferencePair(old, 0.1);
    expect(pair?.metadata.chosen_score).toBe(storyQuality(long));
    expect(pair?.metadata.rejected_score).toBe(storyQuality('Lamp.'));
    expect(sftLine(old).metadata.story_quality).toBe(storyQuality(long));
  });

  it('datasetLine is one JSON object and a newline; dpo gives none without a pair', () => {
    const line = datasetLine(example(), 'sft')!;
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual(sftLine(example()));
    expect(datasetLine(example({ rejected: [] }), 'dpo')).toBeUndefined();
    expect(datasetFileName('dpo', new Date(Date.UTC(2026, 4, 6)))).toBe('zega-dpo-2026-05-06.jsonl');
  });
});

describe('export from the store', () => {
  let store: ZegaStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('writes one line per example in collection order (sft, alpaca) and one per pair (dpo), every line the same shape', async () => {
    store = await openStore('memory://');
    const inputs = [
      example({ index: 0, genre: 'Horror', story: 'First story.' }),
      example({ index: 1, genre: 'Comedy', system: storySystemPrompt('Comedy'), story: 'Second story.', rejected: [{ teacherId: 'x', text: 'close', textQuality: 8.6, storyQuality: 6.6 }] }),
      example({ index: 2, genre: 'Romance', system: storySystemPrompt('Romance'), story: 'Third story.' }),
    ];
    for (const e of inputs) {
      const { v: _v, seq: _s, ...rest } = e;
      await store.fineTune.add(rest);
    }
    // A row of another user never leaks in.
    await store.fineTune.add({ ...inputs[0]!, userId: 'bob', story: 'Bob’s story.' });

    const sft = await exportDataset(store.fineTune, 'alice', 'sft');
    const sftLines = sft.text.trimEnd().split('\n').map((l) => JSON.parse(l) as ReturnType<typeof sftLine>);
    expect(sft.lines).toBe(3);
    expect(sft.examples).toBe(3);
    expect(sftLines.map((l) => l.messages[2].content)).toEqual(['First story.', 'Second story.', 'Third story.']);
    sftLines.forEach((line, i) => {
      expect(Object.keys(line)).toEqual(['messages', 'metadata']);
      expect(line.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
      expect(line.messages[0].content).toBe(inputs[i]!.system);
      expect(line.metadata).toMatchObject({ genre: inputs[i]!.genre, model: 'groq-llama-3.3-70b', quality: 8.14, example_index: i });
    });

    const alpaca = await exportDataset(store.fineTune, 'alice', 'alpaca');
    const alpacaLines = alpaca.text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(alpacaLines.map((l) => Object.keys(l))).toEqual(Array(3).fill(['instruction', 'input', 'output', 'metadata']));
    expect(alpacaLines.map((l) => l.output)).toEqual(['First story.', 'Second story.', 'Third story.']);

    const dpo = await exportDataset(store.fineTune, 'alice', 'dpo');
    const dpoLines = dpo.text.trimEnd().split('\n').map((l) => JSON.parse(l) as ReturnType<typeof preferencePair> & object);
    expect(dpo.lines).toBe(2);
    expect(dpoLines.map((l) => [l.chosen[0].content, l.rejected[0].content, l.metadata.rejected_model])).toEqual([
      ['First story.', 'Clearly worse.', 'hf-qwen2.5-7b'],
      ['Third story.', 'Clearly worse.', 'hf-qwen2.5-7b'],
    ]);
    for (const line of dpoLines) {
      expect(Object.keys(line)).toEqual(['prompt', 'chosen', 'rejected', 'metadata']);
      expect(line.prompt.map((m) => m.role)).toEqual(['system', 'user']);
    }

    const strict = await exportDataset(store.fineTune, 'alice', 'sft', { minQuality: 9 });
    expect(strict.lines).toBe(0);
    expect(strict.text).toBe('');
  });
});
