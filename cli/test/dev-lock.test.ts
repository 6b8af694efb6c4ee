/**
 * One `mediavault dev` per data dir: a second one says who holds it and exits 1, and a stack
 * that died (SIGKILL, with its PostgreSQL) leaves nothing that refuses the next one.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, realpath, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DataDirInUseError, lockDataDir } from '../src/dev/data-dir-lock.ts';
import { runCli } from './helpers/run-cli.ts';

const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'mediavault-dev-lock-'));
const running = new Set<ChildProcess>();
after(async () => {
  for (const child of running)
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const env = () => {
  const clean: NodeJS.ProcessEnv = { ...process.env, MEDIAVAULT_CONFIG_DIR: join(dir, 'config') };
  delete clean.DATABASE_URL;
  delete clean.MEDIAVAULT_URL;
  delete clean.MEDIAVAULT_TOKEN;
  return clean;
};
const devArgs = (dataDir: string) => ['dev', '--data-dir', dataDir, '--api-port', '0', '--edge-port', '0'];

/** `mediavault dev --json` in a process group of its own (as a terminal runs it), once ready. */
async function startDev(dataDir: string): Promise<{ child: ChildProcess; api: string; exited: Promise<unknown> }> {
  const child = spawn(process.execPath, [bin, ...devArgs(dataDir), '--json'], {
    env: env(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const api = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => {
      const ready = JSON.parse(line) as { api?: string };
      if (ready.api) resolve(ready.api);
      else reject(new Error(`mediavault dev did not start: ${line}`));
    });
    void exited.then(() => reject(new Error(`mediavault dev exited: ${stderr}`)));
  });
  return { child, api, exited };
}

test('a second mediavault dev on a data dir in use says which process holds it and exits 1; a dead one holds no lock', {
  timeout: 120_000,
}, async () => {
  const dataDir = join(dir, 'data');
  const first = await startDev(dataDir);

  const second = await runCli(devArgs(dataDir), { cwd: dir, env: { MEDIAVAULT_CONFIG_DIR: join(dir, 'config') } });
  assert.equal(second.code, 1, second.stderr);
  assert.match(
    second.stderr,
    new RegExp(
      `^mediavault dev: ${dataDir} is in use by another mediavault dev \\(pid ${first.child.pid}, api ${first.api}, running since `,
    ),
  );
  assert.doesNotMatch(second.stderr, /TypeError|at /);
  // The same folder by another path (a symbolic link) is the same data dir.
  await symlink(dataDir, join(dir, 'link'));
  const json = await runCli([...devArgs(join(dir, 'link')), '--json'], {
    cwd: dir,
    env: { MEDIAVAULT_CONFIG_DIR: join(dir, 'config') },
  });
  assert.equal(json.code, 1);
  assert.equal(json.lines.at(-1)!.code, 'data_dir_in_use');
  assert.equal((await fetch(`${first.api}/healthz`)).ok, true, 'the running stack is untouched');

  // Killed outright (its PostgreSQL, a process of its own, lives on): the lock went with it.
  process.kill(first.child.pid!, 'SIGKILL');
  await first.exited;
  const lock = await lockDataDir(await realpath(dataDir));
  await lock.release();
  // What stands in the way now is that PostgreSQL, and the next mediavault dev says so.
  const orphan = Number((await readFile(join(dataDir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
  const third = await runCli(devArgs(dataDir), { cwd: dir, env: { MEDIAVAULT_CONFIG_DIR: join(dir, 'config') } });
  assert.equal(third.code, 1, third.stdout + third.stderr);
  assert.match(
    third.stderr,
    new RegExp(
      `PostgreSQL \\(pid ${orphan}\\) is still running on ${dataDir}/pg, without the mediavault dev that started it`,
    ),
  );
  process.kill(-first.child.pid!, 'SIGKILL');
});

test('where the lock is a socket file, a file nobody listens on any more is taken over', async () => {
  const address = join(dir, 'lock.sock');
  // A holder that dies without closing its socket leaves the file behind.
  const holder = spawn(
    process.execPath,
    ['-e', `require('node:net').createServer().listen(${JSON.stringify(address)}, () => console.log('ready'))`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((resolve) => createInterface({ input: holder.stdout! }).once('line', resolve));
  await assert.rejects(lockDataDir('/srv/footage', { address }), DataDirInUseError, 'held while its holder lives');
  const died = new Promise((resolve) => holder.once('exit', resolve));
  holder.kill('SIGKILL');
  await died;
  await stat(address);

  const lock = await lockDataDir('/srv/footage', { address });
  const refused = await lockDataDir('/srv/footage', { address }).catch((err: unknown) => err);
  assert.ok(refused instanceof DataDirInUseError);
  assert.equal(refused.holder?.pid, process.pid);
  assert.equal(refused.holder?.dataDir, '/srv/footage');
  await lock.release();
  await lockDataDir('/srv/footage', { address }).then((again) => again.release());
});
