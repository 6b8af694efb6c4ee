/**
 * One `mediavault dev` per data dir. The lock is a local socket the running stack listens on,
 * named after the data dir: the kernel closes it when the process ends, however it ends, so a
 * stack that died leaves no lock behind that could refuse the next one (a pid file would, or
 * would name a pid reused since). Whoever connects is told who holds it: pid, data dir, api.
 *
 * On Linux the socket is in the abstract namespace (no file at all, so nothing to go stale);
 * on Windows it is a named pipe (the same). Elsewhere it is a socket file in the temp dir: a
 * file nobody listens on any more is stale, and is removed and taken over.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LockHolder {
  pid: number;
  dataDir: string;
  startedAt: string;
  /** The holder's api, once it listens. */
  api?: string;
}

/** The data dir is in use by a running `mediavault dev` (`holder`: null when it did not say who it is). */
export class DataDirInUseError extends Error {
  readonly code = 'data_dir_in_use';
  readonly holder: LockHolder | null;
  constructor(dataDir: string, holder: LockHolder | null) {
    super(
      holder
        ? `${dataDir} is in use by another mediavault dev (pid ${holder.pid}${holder.api ? `, api ${holder.api}` : ''}, running since ${holder.startedAt}): stop it first (Ctrl-C where it runs, or kill ${holder.pid}), or pass another --data-dir`
        : `${dataDir} is in use by another mediavault dev: stop it first, or pass another --data-dir`,
    );
    this.name = 'DataDirInUseError';
    this.holder = holder;
  }
}

export interface DataDirLock {
  readonly address: string;
  /** Tells later callers where the holder's api is. */
  setApi(url: string): void;
  release(): Promise<void>;
}

/** Where the lock of a data dir (an absolute, real path) listens. */
export function lockAddress(dataDir: string, platform: NodeJS.Platform = process.platform, temp = tmpdir()): string {
  const name = `mediavault-dev-${createHash('sha256').update(dataDir).digest('hex').slice(0, 32)}`;
  if (platform === 'linux') return `\0${name}`;
  if (platform === 'win32') return `\\\\.\\pipe\\${name}`;
  return join(temp, `${name}.sock`);
}

const isFile = (address: string) => !address.startsWith('\0') && !address.startsWith('\\\\.\\pipe\\');

/** How long a holder has to say who it is. */
const answerMs = 2000;

/**
 * Takes the lock of `dataDir` (an absolute, real path) or throws DataDirInUseError. `address`
 * defaults to lockAddress(dataDir).
 */
export async function lockDataDir(dataDir: string, options: { address?: string } = {}): Promise<DataDirLock> {
  const address = options.address ?? lockAddress(dataDir);
  const holder: LockHolder = { pid: process.pid, dataDir, startedAt: new Date().toISOString() };
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.end(`${JSON.stringify(holder)}\n`);
  });
  // The lock must not keep the process alive on its own.
  server.unref();
  for (let attempt = 1; ; attempt++) {
    const error = await listen(server, address);
    if (!error) break;
    if (error.code !== 'EADDRINUSE') throw error;
    const answer = await askHolder(address);
    if (answer === 'nobody' && isFile(address) && attempt === 1) {
      // A socket file left by a holder that died: harmless, remove it and take the lock.
      rmSync(address, { force: true });
      continue;
    }
    throw new DataDirInUseError(dataDir, answer === 'nobody' || answer === 'silent' ? null : answer);
  }
  return {
    address,
    setApi: (url) => {
      holder.api = url;
    },
    release: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}

function listen(server: Server, address: string): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const onError = (err: NodeJS.ErrnoException) => resolve(err);
    server.once('error', onError);
    server.listen(address, () => {
      server.off('error', onError);
      resolve(null);
    });
  });
}

/** Who listens at `address`: its own account, 'silent' when it says nothing readable, 'nobody' when none listens. */
function askHolder(address: string): Promise<LockHolder | 'silent' | 'nobody'> {
  return new Promise((resolve) => {
    let text = '';
    const socket = createConnection(address);
    socket.setTimeout(answerMs, () => socket.destroy());
    socket.on('data', (chunk) => {
      text += chunk;
    });
    socket.on('error', (err: NodeJS.ErrnoException) =>
      resolve(err.code === 'ECONNREFUSED' || err.code === 'ENOENT' ? 'nobody' : 'silent'),
    );
    socket.on('close', () => {
      try {
        const parsed = JSON.parse(text) as LockHolder;
        resolve(typeof parsed.pid === 'number' ? parsed : 'silent');
      } catch {
        resolve('silent');
      }
    });
  });
}
