import { carryOnWhenOutputCloses } from '../closed-output.ts';
import { writeProfile } from '../profile.ts';

export interface DevOptions {
  dataDir?: string;
  apiPort?: number;
  edgePort?: number;
  json: boolean;
  quiet?: boolean;
}

/**
 * `mediavault dev`: runs the whole platform until SIGINT/SIGTERM. With --json it
 * prints exactly one line when ready: {"api","edge","token","project"}.
 */
export async function runDev(options: DevOptions): Promise<number> {
  const started = Date.now();
  // The stack serves: a reader of its output going away is no reason to stop it.
  carryOnWhenOutputCloses();
  const say = (line: string) => {
    if (!options.json && !options.quiet) process.stderr.write(`${line}\n`);
  };
  const stackModule = await loadStack();
  if (!stackModule) {
    const message =
      'this installation has no server parts: `mediavault dev` runs the whole platform (api, worker, edge, embedded PostgreSQL) from the mediavault repository; clone it and run `npm ci && npm run dev` there. This CLI talks to any running api: `mediavault login --url <api url> --token <token>`.';
    if (options.json) process.stdout.write(`${JSON.stringify({ event: 'error', code: 'dev_unavailable', message })}\n`);
    else process.stderr.write(`mediavault dev: ${message}\n`);
    return 1;
  }
  const { isDatabaseShutdown, startStack } = stackModule;
  let stack: Awaited<ReturnType<typeof startStack>>;
  try {
    stack = await startStack({
      dataDir: options.dataDir,
      apiPort: options.apiPort,
      edgePort: options.edgePort,
      onLog: say,
    });
  } catch (err) {
    // Not necessarily an Error: a library may reject with anything, even nothing.
    const message = err instanceof Error ? err.message : `the stack did not start (${String(err)})`;
    const code = (err as { code?: unknown } | undefined)?.code;
    if (options.json)
      process.stdout.write(
        `${JSON.stringify({ event: 'error', ...(typeof code === 'string' ? { code } : {}), message })}\n`,
      );
    else process.stderr.write(`mediavault dev: ${message}\n`);
    return 1;
  }
  const profileName = process.env.MEDIAVAULT_PROFILE ?? 'default';
  writeProfile(profileName, { url: stack.apiUrl, token: stack.token, project: stack.projectId });
  const readyMs = Date.now() - started;
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ api: stack.apiUrl, edge: stack.edgeUrl, token: stack.token, project: stack.projectId, readyMs })}\n`,
    );
  } else {
    process.stdout.write(
      [
        `mediavault is running (ready in ${(readyMs / 1000).toFixed(1)} s)`,
        `  api      ${stack.apiUrl}   (docs: ${stack.apiUrl}/docs)`,
        `  edge     ${stack.edgeUrl}`,
        `  database ${stack.embedded ? `embedded PostgreSQL under ${stack.config.dataDir}/pg` : 'DATABASE_URL'}`,
        `  storage  ${stack.config.storage.driver === 'fs' ? stack.config.storage.fs.root : 's3'}`,
        `  project  ${stack.projectId}`,
        `  token    ${stack.token}`,
        `CLI profile "${profileName}" written: try \`npx mediavault upload ./folder --promote\`. Ctrl-C stops.`,
        '',
      ].join('\n'),
    );
  }
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
    // Ctrl-C reaches the embedded PostgreSQL too (same process group), which then closes every
    // connection (57P01), possibly before this process sees the signal; anything else that stops
    // it leaves a stack with no catalogue, so stop as well. pg-boss 12's LISTEN client drops its
    // error listener on the first failure and can emit a second error unhandled: that too is the
    // database shutting down; anything else is a crash.
    void stack.databaseShutdown.then(resolve);
    process.on('uncaughtException', (err) => {
      if (isDatabaseShutdown(err)) return resolve();
      process.stderr.write(`mediavault dev: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    });
  });
  say('stopping…');
  await stack.stop();
  return 0;
}

/**
 * The stack, loaded only for this command: it pulls in the api, the worker, the edge and
 * their dependencies, which an installed CLI package does not carry (null then).
 */
async function loadStack(): Promise<typeof import('./stack.ts') | null> {
  try {
    return await import('./stack.ts');
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    if (code === 'ERR_MODULE_NOT_FOUND' && /['"]@mediavault\/(core|api|worker|edge)\b/.test(message)) return null;
    throw err;
  }
}
