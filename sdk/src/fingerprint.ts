/**
 * A file's fingerprint: the sha256 of its first and last MiB (of the whole file when it is no
 * larger than 2 MiB, so then its sha256). With the size, it tells cheaply whether a file may
 * already be archived (matchArchivedContent) before the whole file is read to make sure. The
 * worker computes the same for every master: core/src/fingerprint.ts mirrors this definition
 * (the SDK does not import core) and sdk/test/fingerprint.test.ts checks that both agree.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';

/** Bytes read at each end of a file larger than twice this. */
export const fingerprintEndBytes = 1024 * 1024;

/** The byte ranges the fingerprint of a file of `size` bytes covers, [start, end) each, in order. */
export function fingerprintRanges(size: number): [number, number][] {
  if (size <= 2 * fingerprintEndBytes) return [[0, size]];
  return [
    [0, fingerprintEndBytes],
    [size - fingerprintEndBytes, size],
  ];
}

/** The fingerprint (lowercase hex) from the bytes of fingerprintRanges(size), in order. */
export function fingerprintOf(rangeBytes: Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const bytes of rangeBytes) hash.update(bytes);
  return hash.digest('hex');
}

/** Reads the fingerprint's ranges of an open file of `size` bytes. */
export async function fingerprintFile(handle: FileHandle, size: number): Promise<string> {
  const ranges: Uint8Array[] = [];
  for (const [start, end] of fingerprintRanges(size)) {
    const bytes = Buffer.allocUnsafe(end - start);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, start + filled);
      if (bytesRead === 0) throw new RangeError(`the file ended at ${start + filled} of ${size} bytes`);
      filled += bytesRead;
    }
    ranges.push(bytes);
  }
  return fingerprintOf(ranges);
}
