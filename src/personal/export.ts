/** A user's dataset as a training file, read from the store chunk by chunk (see datasets.ts). */
import type { FineTuneRepository } from '../storage/fineTune.ts';
import { datasetLine, type DatasetFormat, type LineOptions } from './datasets.ts';

export interface DatasetExportOptions extends LineOptions {
  /** Only examples of at least this final quality. */
  minQuality?: number;
}

/** The file's lines, a chunk at a time (each string holds whole lines, newline-terminated). */
export async function* datasetChunks(fineTune: FineTuneRepository, userId: string, format: DatasetFormat, options: DatasetExportOptions = {}): AsyncGenerator<string> {
  for await (const chunk of fineTune.examples(userId)) {
    let out = '';
    for (const example of chunk) {
      if (options.minQuality !== undefined && example.quality < options.minQuality) continue;
      out += datasetLine(example, format, options) ?? '';
    }
    if (out) yield out;
  }
}

export interface DatasetFile {
  text: string;
  /** Lines written. */
  lines: number;
  /** Examples read. */
  examples: number;
}

export async function exportDataset(fineTune: FineTuneRepository, userId: string, format: DatasetFormat, options: DatasetExportOptions = {}): Promise<DatasetFile> {
  let text = '';
  for await (const chunk of datasetChunks(fineTune, userId, format, options)) text += chunk;
  let lines = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines += 1;
  return { text, lines, examples: await fineTune.count(userId) };
}
