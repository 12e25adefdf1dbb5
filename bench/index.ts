/**
 * `npm run bench`: the trainer part (scoring, voting, runs through the simulated teachers) and
 * the storage part, and the scaled mode (`-- cluster`, needs Redis). `npm run bench -- trainer`,
 * `-- storage` or `-- cluster` runs one part.
 */
import { formatReport, runStorageBench } from './storage.ts';
import { runTrainerBench } from './trainer.ts';
import { runClusterBench } from './cluster.ts';

const part = process.argv[2];
if (!part || part === 'trainer') {
  console.log('Trainer');
  console.table(await runTrainerBench());
}
if (!part || part === 'storage') {
  console.log('\nStorage');
  console.log(formatReport(await runStorageBench({ log: (line) => console.log(line) })));
}
if (!part || part === 'cluster') {
  console.log('\nCluster (8 runs × 20 examples, 50 ms provider latency, MAX_CONCURRENT_RUNS 4)');
  const report = await runClusterBench();
  if (typeof report === 'string') console.log(report);
  else console.table(report);
}
