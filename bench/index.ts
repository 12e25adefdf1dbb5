/**
 * `npm run bench`: the trainer part (scoring, voting, runs through the simulated teachers), the
 * storage part and the throughput part (issue 10's six scenarios, a few minutes).
 * The scaled mode too (`-- cluster`, needs Redis).
 * `npm run bench -- trainer`, `-- storage`, `-- throughput [1,2,…]` or `-- cluster` runs one part.
 */
import { formatReport, runStorageBench } from './storage.ts';
import { runClusterBench } from './cluster.ts';
import { runThroughputBench } from './throughput.ts';
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
if (!part || part === 'throughput') {
  console.log('\nThroughput');
  const figures = await runThroughputBench(process.argv[3]);
  const missed = figures.filter((f) => !f.ok);
  console.log(`\n${figures.length - missed.length} of ${figures.length} figures within their bounds${missed.length ? `; missed: ${missed.map((f) => `${f.scenario}. ${f.figure}`).join('; ')}` : ''}`);
}
if (!part || part === 'cluster') {
  console.log('\nCluster (8 runs × 20 examples, 50 ms provider latency, MAX_CONCURRENT_RUNS 4)');
  const report = await runClusterBench();
  if (typeof report === 'string') console.log(report);
  else console.table(report);
}
