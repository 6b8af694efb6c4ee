/**
 * The fingerprint of a master: the sha256 of its first and last MiB (of the whole object when
 * it is no larger than 2 MiB, so then its sha256). The mirror of the SDK's definition
 * (sdk/src/fingerprint.ts), which clients compute on local files to ask whether a file may
 * already be archived; sdk/test/fingerprint.test.ts checks that both agree. Pure.
 */
import { createHash } from 'node:crypto';

/** Bytes read at each end of an object larger than twice this. */
export const fingerprintEndBytes = 1024 * 1024;

/** The byte ranges the fingerprint of an object of `size` bytes covers, [start, end) each, in order. */
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

/** Whether the fingerprint of an object of `size` bytes is its sha256 (nothing to read). */
export function fingerprintIsSha256(size: number): boolean {
  return size <= 2 * fingerprintEndBytes;
}
