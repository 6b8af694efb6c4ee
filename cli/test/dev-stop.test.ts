import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDatabaseShutdown } from '../src/dev/stack.ts';

const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

/**
 * Starts `mediavault dev` in a process group of its own (as a terminal runs a foreground job),
 * sends SIGINT to the whole group once the api answers, and answers what the process printed.
 */
async function devStoppedByCtrlC(json: boolean): Promise<{ code: number | null; stderr: string; api: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'mediavault-dev-stop-'));
  const env: NodeJS.ProcessEnv = { ...process.env, MEDIAVAULT_CONFIG_DIR: join(dir, 'config') };
  delete env.DATABASE_URL;
  delete env.MEDIAVAULT_URL;
  delete env.MEDIAVAULT_TOKEN;
  const args = [
    bin,
    'dev',
    '--data-dir',
    join(dir, 'data'),
    '--api-port',
    '0',
    '--edge-port',
    '0',
    ...(json ? ['--json'] : []),
  ];
  const dev = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  dev.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
  try {
    const api = await new Promise<string>((resolve, reject) => {
      createInterface({ input: dev.stdout! }).on('line', (line) => {
        if (json) resolve((JSON.parse(line) as { api: string }).api);
        const human = /^ {2}api +(\S+)/.exec(line);
        if (human) resolve(human[1]!);
      });
      void exited.then((code) => reject(new Error(`mediavault dev exited with ${code}: ${stderr}`)));
    });
    assert.equal((await fetch(`${api}/healthz`)).ok, true);
    process.kill(-dev.pid!, 'SIGINT');
    return { code: await exited, stderr, api };
  } finally {
    if (dev.exitCode === null) process.kill(-dev.pid!, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}

test('Ctrl-C (SIGINT to the whole process group, embedded PostgreSQL included) stops mediavault dev cleanly', {
  timeout: 60_000,
}, async () => {
  const { code, stderr, api } = await devStoppedByCtrlC(true);
  // 130 (128 + SIGINT): the database's exit hook ends the process once the stack has stopped.
  assert.ok([0, 130].includes(code!), stderr);
  assert.doesNotMatch(stderr, /Emitted 'error'|uncaught|Error:/i);
  await assert.rejects(fetch(`${api}/healthz`), 'the api no longer answers');
});

test('Ctrl-C at a terminal: "stopping…" and nothing about connections the database closed as it stopped', {
  timeout: 60_000,
}, async () => {
  const { code, stderr } = await devStoppedByCtrlC(false);
  assert.ok([0, 130].includes(code!), stderr);
  assert.match(stderr, /stopping…/);
  assert.doesNotMatch(
    stderr,
    /idle connection failed|pg-boss:|terminating connection/,
    'the database shutting down is not a failure per connection',
  );
});

test('only a database shutting down counts as one', () => {
  assert.equal(
    isDatabaseShutdown(
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    ),
    true,
  );
  assert.equal(isDatabaseShutdown(new Error('Connection terminated unexpectedly')), true);
  assert.equal(isDatabaseShutdown(Object.assign(new Error('deadlock detected'), { code: '40P01' })), false);
  assert.equal(isDatabaseShutdown(new TypeError('x is not a function')), false);
  assert.equal(isDatabaseShutdown(undefined), false);
});
