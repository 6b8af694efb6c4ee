/**
 * Object keys of the fs driver are relative paths under a role root. Anything
 * that could leave the root, alias another key, or collide with the driver's
 * own bookkeeping directories is refused before it reaches the file system.
 */
import { errors } from '../errors.ts';

/** Top-level directories of a role root that belong to the driver, never to keys. */
export const fsDriverDirs = {
  /** temp files being written; on the keys' file system, so publishing them is one rename */
  temp: '.tmp',
  /** multipart uploads, one directory each (fs-multipart.ts) */
  uploads: '.multipart',
  /** retention records (fs-retention.ts) */
  retention: '.retention',
} as const;
export const fsInternalDirs: readonly string[] = Object.values(fsDriverDirs);

const MAX_KEY_BYTES = 1024; // S3's limit, so a key valid here is valid there
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export function assertSafeKey(key: string): string {
  const refuse = (why: string) => errors.badRequest(`invalid storage key ${JSON.stringify(key)}: ${why}`, { key });
  if (typeof key !== 'string' || key.length === 0) throw refuse('empty');
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw refuse(`longer than ${MAX_KEY_BYTES} bytes`);
  if (key.startsWith('/')) throw refuse('absolute paths are not allowed');
  if (key.includes('\\')) throw refuse('backslashes are not allowed');
  if (CONTROL_CHARS.test(key)) throw refuse('control characters are not allowed');
  const segments = key.split('/');
  if (segments.some((s) => s === '')) throw refuse('empty path segments are not allowed');
  if (segments.some((s) => s === '.' || s === '..')) throw refuse("'.' and '..' segments are not allowed");
  if (fsInternalDirs.includes(segments[0]!)) throw refuse('reserved prefix');
  return key;
}

/** Upload ids are 128 random bits in hex; anything else cannot name an upload (and cannot traverse). */
export function isFsUploadId(uploadId: string): boolean {
  return /^[0-9a-f]{32}$/.test(uploadId);
}
