/**
 * Reading a local file for upload: opened once, its size and mtime compared
 * with what the caller planned and again before completing (a file that
 * changed while read must not be completed), read into buffers, or hashed.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { MediavaultError } from './errors.ts';

/** Something fed every byte of the file, in order, during the upload's single read (e.g. an ASC MHL check). */
export interface ByteObserver {
  update(chunk: Uint8Array): void;
}

export interface OpenFile {
  handle: FileHandle;
  size: number;
  mtimeMs: number;
}

/** Opens a regular file; `expect` (size and mtime seen when planning) must still hold, or it fails with `file_changed`. */
export async function openFile(path: string, expect: { size: number; mtimeMs: number } | undefined): Promise<OpenFile> {
  const handle = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new MediavaultError(
      err.code === 'ENOENT' ? 'file_not_found' : 'file_unreadable',
      `cannot read ${path}: ${err.message}`,
      { cause: err },
    );
  });
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new MediavaultError('not_a_file', `${path} is not a regular file`);
    if (expect && (expect.size !== stat.size || expect.mtimeMs !== stat.mtimeMs)) {
      throw new MediavaultError(
        'file_changed',
        `${path} changed since it was listed (size or modification time); upload it again`,
        {
          details: { expected: expect, actual: { size: stat.size, mtimeMs: stat.mtimeMs } },
        },
      );
    }
    return { handle, size: stat.size, mtimeMs: stat.mtimeMs };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/** A file that changed while it was read must not be completed: its parts may mix two versions. */
export async function assertUnchanged(file: OpenFile, path: string): Promise<void> {
  const now = await file.handle.stat();
  if (now.size !== file.size || now.mtimeMs !== file.mtimeMs) {
    throw new MediavaultError(
      'file_changed',
      `${path} changed while it was read (size ${file.size} → ${now.size}, mtime ${new Date(file.mtimeMs).toISOString()} → ${new Date(now.mtimeMs).toISOString()}); the upload was not completed, upload it again`,
      {
        details: { size: file.size, sizeNow: now.size, mtimeMs: file.mtimeMs, mtimeMsNow: now.mtimeMs },
      },
    );
  }
}

export async function readExactly(file: FileHandle, position: number, length: number, path: string): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  await readInto(file, buffer, position, path);
  return buffer;
}

/** Fills `buffer` from `position`; a file that ends early changed while it was read. */
export async function readInto(file: FileHandle, buffer: Buffer, position: number, path: string): Promise<void> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await file.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0)
      throw new MediavaultError(
        'file_changed',
        `${path} became shorter while it was read; the upload was not completed, upload it again`,
      );
    filled += bytesRead;
  }
}

/**
 * sha256 of a file, streamed. For callers who prefer reading a file twice to
 * sending bytes the platform already has: pass the result as uploadFile's
 * `sha256`. The observers see every byte (verify an MHL on this read).
 */
export async function hashFile(
  path: string,
  signal?: AbortSignal,
  observers: ByteObserver[] = [],
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path, { signal, highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
      for (const observer of observers) observer.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES')
      throw new MediavaultError(
        code === 'ENOENT' ? 'file_not_found' : 'file_unreadable',
        `cannot read ${path}: ${(err as Error).message}`,
        { cause: err },
      );
    throw err;
  }
  return { sha256: hash.digest('hex'), size };
}
