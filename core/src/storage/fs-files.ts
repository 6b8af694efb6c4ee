/**
 * How the fs driver writes a file: streamed into a temp file on the role root's own file
 * system (hashed on the way when asked), then moved onto its key in one rename, so a reader
 * never sees half a file. Also the few file-system facts the driver's modules share: read and
 * write sizes, errno tests, the stat ETag.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errors } from '../errors.ts';

/** Large reads: a master is hashed and copied in 1 MiB steps rather than Node's 64 KiB default (fewer buffers to collect). */
export const READ_CHUNK = 1024 * 1024;
/**
 * Bytes a file write stream buffers before it pushes back on its source. With Node's 16 KiB
 * default a body from the network is written one socket chunk (64 KiB) per thread-pool round
 * trip, and the socket waits for each: a 16 MiB part took 280 ms to receive. Buffering up to
 * 4 MiB lets each write take everything that arrived meanwhile (one writev): 110 ms, and a
 * third of the kernel time (4 × 512 MiB through the stack: 10 s instead of 11.8 s).
 */
export const WRITE_BUFFER = 4 * 1024 * 1024;

/**
 * What a client PUTs (whole objects and parts) is fsync'd before the PUT is answered, as S3's
 * 200 means the bytes are stored: a crash after the answer must not leave a staged part the
 * client will not send again but whose pages never reached the disk. It costs little where it
 * matters: the writeback overlaps the network, and promotion's fsync of the hard-linked master
 * then finds clean pages (4 × 128 MiB through the stack, layout uploads: 4.4 s instead of 3.9 s
 * without promotion, 4.1 s instead of 4.5 s with it).
 */
export const uploadsAreDurable = true;

export interface WrittenTemp {
  path: string;
  size: number;
  /** Hex sha256 of what was written, when hashed. */
  sha256Hex: string | undefined;
}

export function hasCode(err: unknown, ...codes: string[]): boolean {
  return typeof err === 'object' && err !== null && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}

export function sameSha256(a: string, b: string): boolean {
  return Buffer.from(a, 'base64').equals(Buffer.from(b, 'base64'));
}

/** fs objects have no stored content hash; size + mtime changes whenever the object is replaced (as nginx does). */
export function statEtag(size: number, mtimeMs: number): string {
  return `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

/** A retained object's bytes are on disk before it appears under its key. */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A new, unique temp file name in dir. */
export function tempPathIn(dir: string): string {
  return join(dir, `tmp-${randomBytes(12).toString('hex')}`);
}

/**
 * Permission bits of what the fs driver writes: objects (`file`), the folders holding them
 * (`dir`, the file's read bits also made traversable) and retained masters (`retained`, the
 * file's bits without write). Owner and group only by default: masters and previews of a
 * post-house are not for every account on the machine. The process umask can only remove bits.
 */
export interface FsModes {
  file: number;
  dir: number;
  retained: number;
}

export const defaultFsFileMode = 0o640;

export function fsModes(fileMode: number = defaultFsFileMode): FsModes {
  const file = fileMode & 0o666;
  const readBits = file & 0o444;
  return { file, dir: file | 0o700 | (readBits >> 2), retained: file & 0o444 };
}

/**
 * Streams body into a new file in dir, hashing as it goes when asked (or when expectedSha256
 * is given, which it then verifies: a mismatch keeps nothing). durable: fsync'd before close.
 */
export async function writeTempFile(
  dir: string,
  body: Readable | Buffer,
  options: { expectedSha256?: string | undefined; hash: boolean; durable?: boolean; modes: FsModes },
): Promise<WrittenTemp> {
  await mkdir(dir, { recursive: true, mode: options.modes.dir });
  const path = tempPathIn(dir);
  const sha256 = options.hash || options.expectedSha256 !== undefined ? createHash('sha256') : null;
  let size = 0;
  const counting = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sha256?.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  let sha256Hex: string | undefined;
  try {
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
    // Retained objects (masters) and whole objects a client PUT reach the disk before they are
    // published; assembled staging objects and previews can be rebuilt, so they skip the fsync.
    await pipeline(
      source,
      counting,
      createWriteStream(path, {
        flags: 'wx',
        mode: options.modes.file,
        flush: options.durable === true,
        highWaterMark: WRITE_BUFFER,
      }),
    );
    sha256Hex = sha256?.digest('hex');
    const actual = sha256Hex === undefined ? undefined : Buffer.from(sha256Hex, 'hex').toString('base64');
    if (options.expectedSha256 !== undefined && !sameSha256(options.expectedSha256, actual!)) {
      throw errors.checksumMismatch('the body does not match the given sha256 checksum; nothing was stored', {
        expected: options.expectedSha256,
        actual,
      });
    }
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
  return { path, size, sha256Hex };
}

/** Renames a finished file onto target (making its parents); a key that collides with another key's path is a conflict. */
export async function renameIntoPlace(tempPath: string, target: string, key: string, dirMode: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(dirname(target), { recursive: true, mode: dirMode });
      await rename(tempPath, target);
      return;
    } catch (err) {
      // A concurrent delete may remove the (then empty) parent between mkdir and rename.
      if (hasCode(err, 'ENOENT') && attempt < 3) continue;
      if (hasCode(err, 'ENOTDIR', 'EEXIST', 'EISDIR', 'ENOTEMPTY')) {
        throw errors.conflict(`${key} collides with an existing object or prefix`, { key });
      }
      throw err;
    }
  }
}

/** Removes dir and its parents while they are empty, up to (not including) stopAt. */
export async function removeEmptyParents(dir: string, stopAt: string): Promise<void> {
  while (dir.startsWith(`${stopAt}/`) && dir !== stopAt) {
    try {
      await rmdir(dir);
    } catch {
      return; // not empty (or already gone): stop climbing
    }
    dir = dirname(dir);
  }
}
