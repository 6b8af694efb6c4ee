/**
 * The whole platform as a new user starts it, for end-to-end tests: `mediavault dev` (embedded
 * PostgreSQL, fs storage, api, worker, edge) in a throwaway folder, the CLI run against it with
 * its own profile, and the api called with the admin token it printed.
 */
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../cli/src/bin.ts', import.meta.url));

export interface DevStack {
  /** The one line `mediavault dev --json` printed when ready. */
  ready: { api: string; edge: string; token: string; project: string };
  /** The folder the stack and the CLI keep their data in (`data/`, `config/`). */
  dir: string;
  /** `mediavault <args>` against the stack: exit code and output. */
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** One JSON call to the api, with `token` (the admin's by default). */
  api<T = unknown>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  /** Stops the stack (SIGTERM, waited for) and removes the folder. */
  close(): Promise<void>;
}

/** The last line of a `--json` command: its summary object. */
export function lastJsonLine<Summary>(stdout: string): Summary {
  const lines = stdout.trim().split('\n').filter(Boolean);
  return JSON.parse(lines[lines.length - 1]!) as Summary;
}

export async function startDevStack(): Promise<DevStack> {
  const dir = await mkdtemp(join(tmpdir(), 'mediavault-e2e-'));
  const env: NodeJS.ProcessEnv = { ...process.env, MEDIAVAULT_CONFIG_DIR: join(dir, 'config') };
  delete env.MEDIAVAULT_URL;
  delete env.MEDIAVAULT_TOKEN;
  delete env.DATABASE_URL;
  const dev = spawn(
    process.execPath,
    [bin, 'dev', '--data-dir', join(dir, 'data'), '--api-port', '0', '--edge-port', '0', '--json'],
    { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  dev.stderr!.on('data', (d) => (stderr += d));
  let firstLine: string;
  try {
    firstLine = await new Promise<string>((resolve, reject) => {
      createInterface({ input: dev.stdout! }).once('line', resolve);
      dev.once('exit', (code) => reject(new Error(`mediavault dev exited with ${code}: ${stderr}`)));
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const ready = JSON.parse(firstLine) as DevStack['ready'];
  return {
    ready,
    dir,
    async cli(...args) {
      try {
        const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
          env,
          cwd: dir,
          maxBuffer: 16 * 1024 * 1024,
        });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    },
    async api(method, path, body, token = ready.token) {
      const response = await fetch(`${ready.api}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
    async close() {
      if (dev.exitCode === null) {
        const exited = new Promise((resolve) => dev.once('exit', resolve));
        dev.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
