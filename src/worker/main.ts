/**
 * `npm run worker`: executes runs from the cluster's Redis queue (REDIS_URL) — any number of
 * workers, on any machine, sharing the store (STORAGE_URL, PostgreSQL when on several machines)
 * and each teacher's quota. No Discord: progress goes to the bots through Redis.
 */
import { loadConfig } from '../config/env.ts';
import { createRuntime } from '../app/runtime.ts';
import { onShutdownSignal } from '../app/shutdown.ts';
import { missingTeachersMessage } from '../teachers/roster.ts';
import { ClusterConnection, startRunWorker } from '../runs/index.ts';
import { RedisRateWindow } from '../teachers/sharedRate.ts';

export async function runWorkerProcess(): Promise<void> {
  const config = loadConfig();
  const cluster = new ClusterConnection(config.REDIS_URL as string, config.REDIS_PREFIX, config.DAILY_EXAMPLES_PER_USER);
  const runtime = await createRuntime({ sharedRate: new RedisRateWindow(cluster.redis, cluster.prefix) });
  if (runtime.teachers.length === 0) runtime.logger.warn(missingTeachersMessage(runtime.roster));
  const worker = await startRunWorker(runtime, cluster, (err, context) => runtime.logger.error({ err, context }, 'run error'));
  runtime.logger.info({ concurrency: config.WORKER_CONCURRENCY, teachers: runtime.teachers.map((t) => t.id) }, 'worker ready');
  onShutdownSignal(
    async (signal) => {
      runtime.logger.info({ signal, graceMs: config.SHUTDOWN_GRACE_MS }, 'worker shutting down: finishing the examples in flight; its runs go back to the queue');
      await worker.close(config.SHUTDOWN_GRACE_MS);
      await cluster.close();
      await runtime.close();
      runtime.logger.info('worker stopped');
    },
    { hardLimitMs: config.SHUTDOWN_GRACE_MS + 15_000, onError: (err) => runtime.logger.error({ err }, 'worker shutdown failed') },
  );
}
