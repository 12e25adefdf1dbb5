/**
 * An in-memory TrainerStore that records what the trainer hands it: the trainer's tests check the
 * trainer, the storage tests check storage. (It implements Zega's own interface; no SDK is faked.)
 */
import type { ExamplePersisted, ExampleRecord, RunOptions, RunStatus, TrainerStore, TrainingResult } from '../../src/trainer/types.ts';
import type { TeacherHistory } from '../../src/trainer/teacherChoice.ts';

export class RecordingStore implements TrainerStore {
  readonly examples: ExampleRecord[] = [];
  readonly systems: string[] = [];
  readonly runs = new Map<string, { options: RunOptions; status: RunStatus; result?: TrainingResult }>();
  fineTune = 0;
  stories = 0;

  /** What earlier runs recorded, for `--teachers auto` (none: the store has no history to give). */
  constructor(private readonly history?: TeacherHistory[]) {}

  get teacherHistory(): (() => Promise<TeacherHistory[]>) | undefined {
    const history = this.history;
    return history && (() => Promise.resolve(history));
  }

  startRun(runId: string, options: RunOptions): Promise<void> {
    this.runs.set(runId, { options, status: 'running' });
    return Promise.resolve();
  }

  recordExample(record: ExampleRecord, system: string): Promise<ExamplePersisted> {
    this.examples.push(record);
    this.systems.push(system);
    if (record.toFineTune) this.fineTune += 1;
    if (record.saveStory) this.stories += 1;
    return Promise.resolve({ fineTuneTotal: this.fineTune, ...(record.saveStory ? { storyId: `story-${this.stories}` } : {}) });
  }

  finishRun(runId: string, status: RunStatus, result: TrainingResult): Promise<void> {
    const run = this.runs.get(runId);
    if (run) Object.assign(run, { status, result });
    return Promise.resolve();
  }

  countFineTuneExamples(): Promise<number> {
    return Promise.resolve(this.fineTune);
  }
}
