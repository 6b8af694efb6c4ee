import { startStack } from './stack.ts';
import { writeProfile } from '../profile.ts';

export interface DevOptions {
  dataDir?: string;
  apiPort?: number;
  edgePort?: number;
  json: boolean;
}

/**
 * `mediavault dev`: runs the whole platform until SIGINT/SIGTERM. With --json it
 * prints exactly one line when ready: {"api","edge","token","project"}.
 */
export async function runDev(options: DevOptions): Promise<number> {
  const started = Date.now();
  const say = (line: string) => {
    if (!options.json) process.stderr.write(`${line}\n`);
  };
  let stack;
  try {
    stack = await startStack({ dataDir: options.dataDir, apiPort: options.apiPort, edgePort: options.edgePort, onLog: say });
  } catch (err) {
    const message = (err as Error).message;
    if (options.json) process.stdout.write(`${JSON.stringify({ event: 'error', message })}\n`);
    else process.stderr.write(`mediavault dev: ${message}\n`);
    return 1;
  }
  const profileName = process.env.MEDIAVAULT_PROFILE ?? 'default';
  writeProfile(profileName, { url: stack.apiUrl, token: stack.token, project: stack.projectId });
  const readyMs = Date.now() - started;
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ api: stack.apiUrl, edge: stack.edgeUrl, token: stack.token, project: stack.projectId, readyMs })}\n`);
  } else {
    process.stdout.write(
      [
        `mediavault is running (ready in ${(readyMs / 1000).toFixed(1)} s)`,
        `  api      ${stack.apiUrl}   (docs: ${stack.apiUrl}/docs)`,
        `  edge     ${stack.edgeUrl}`,
        `  database ${stack.embedded ? 'embedded PostgreSQL under ' + stack.config.dataDir + '/pg' : 'DATABASE_URL'}`,
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
  });
  say('stopping…');
  await stack.stop();
  return 0;
}
