/**
 * `npm run bench`: the trainer part (scoring, voting, runs through the simulated teachers) and
 * the storage part. `npm run bench -- trainer` or `-- storage` runs one part.
 */
import { formatReport, runStorageBench } from './storage.ts';
import { runTrainerBench } from './trainer.ts';

const part = process.argv[2];
if (!part || part === 'trainer') {
  console.log('Trainer');
  console.table(await runTrainerBench());
}
if (!part || part === 'storage') {
  console.log('\nStorage');
  console.log(formatReport(await runStorageBench({ log: (line) => console.log(line) })));
}
