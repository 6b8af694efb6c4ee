import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDatabaseShutdown } from '../src/dev/command.ts';

const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

test('Ctrl-C (SIGINT to the whole process group, embedded PostgreSQL included) stops mediavault dev cleanly', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mediavault-dev-stop-'));
  const env: NodeJS.ProcessEnv = { ...process.env, MEDIAVAULT_CONFIG_DIR: join(dir, 'config') };
  delete env.DATABASE_URL;
  delete env.MEDIAVAULT_URL;
  delete env.MEDIAVAULT_TOKEN;
  // detached: its own process group, as a terminal gives a foreground job.
  const dev = spawn(process.execPath, [bin, 'dev', '--data-dir', join(dir, 'data'), '--api-port', '0', '--edge-port', '0', '--json'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  dev.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
  try {
    const ready = JSON.parse(await new Promise<string>((resolve, reject) => {
      createInterface({ input: dev.stdout! }).once('line', resolve);
      void exited.then((code) => reject(new Error(`mediavault dev exited with ${code}: ${stderr}`)));
    })) as { api: string };
    assert.equal((await fetch(`${ready.api}/healthz`)).ok, true);
    process.kill(-dev.pid!, 'SIGINT');
    // 130 (128 + SIGINT): the database's exit hook ends the process once the stack has stopped.
    assert.ok([0, 130].includes((await exited)!), stderr);
    assert.doesNotMatch(stderr, /Emitted 'error'|uncaught|Error:/i);
    await assert.rejects(fetch(`${ready.api}/healthz`), 'the api no longer answers');
  } finally {
    if (dev.exitCode === null) process.kill(-dev.pid!, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

test('only a database shutting down counts as one', () => {
  assert.equal(isDatabaseShutdown(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })), true);
  assert.equal(isDatabaseShutdown(new Error('Connection terminated unexpectedly')), true);
  assert.equal(isDatabaseShutdown(Object.assign(new Error('deadlock detected'), { code: '40P01' })), false);
  assert.equal(isDatabaseShutdown(new TypeError('x is not a function')), false);
  assert.equal(isDatabaseShutdown(undefined), false);
});
