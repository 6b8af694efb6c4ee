/** A worker as its own process: `node worker/src/main.ts`. Any number may run on one database. */
import { openRuntimeFromEnv, stopOnSignals } from '@mediavault/core/runtime';
import { startWorker } from './worker.ts';

const runtime = await openRuntimeFromEnv();
const line = (level: string, stream: NodeJS.WriteStream) => (o: object, msg?: string) =>
  stream.write(
    `${JSON.stringify({ level, time: new Date().toISOString(), msg, ...o, ...('err' in o ? { err: String((o as { err: unknown }).err) } : {}) })}\n`,
  );
const worker = await startWorker({
  ...runtime,
  log: { info: line('info', process.stdout), warn: line('warn', process.stdout), error: line('error', process.stderr) },
});
stopOnSignals(async () => {
  await worker.stop();
  await runtime.close();
});
