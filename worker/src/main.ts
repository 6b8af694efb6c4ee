/** A worker as its own process: `node worker/src/main.ts`. Any number may run on one database. */
import { openRuntime, stopOnSignals } from '@mediavault/core/runtime';
import { startWorker } from './worker.ts';

const runtime = await openRuntime();
const line = (level: string, stream: NodeJS.WriteStream) => (o: object, msg?: string) =>
  stream.write(
    `${JSON.stringify({ level, time: new Date().toISOString(), msg, ...o, ...('err' in o ? { err: String((o as { err: unknown }).err) } : {}) })}\n`,
  );
const worker = await startWorker({
  config: runtime.config,
  pool: runtime.pool,
  boss: runtime.boss,
  storages: runtime.storages,
  log: { info: line('info', process.stdout), warn: line('warn', process.stdout), error: line('error', process.stderr) },
});
stopOnSignals(async () => {
  await worker.stop();
  await runtime.close();
});
