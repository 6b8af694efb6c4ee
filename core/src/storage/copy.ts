/**
 * Server-side copy between roles (promotion: staging → masters), offered by both
 * drivers with the same options so the promotion job does not care which runs.
 * Not on the Storage interface in types.ts: only components holding a destination
 * role's write access (the promoter) need it.
 */
import type { Storage, StorageRole } from './types.ts';

export interface CopyOptions {
  /** Role whose bucket/root holds the source; defaults to the destination's own role. */
  sourceRole?: StorageRole;
  /** Copy only if the source still has this ETag (the bytes the caller verified), else precondition_failed. */
  sourceEtag?: string;
  /** Write the copy under retention (s3: Object Lock GOVERNANCE; fs: read-only + recorded). */
  retainUntil?: Date;
  contentType?: string;
}

export interface CopyingStorage extends Storage {
  copyObject(sourceKey: string, destKey: string, options?: CopyOptions): Promise<void>;
}

/**
 * Whether destination copies from source's store server-side (copyObject with sourceRole
 * source.role): destination can copy at all, and both stores are of one copy scope (one fs
 * root, one S3 endpoint). Otherwise the bytes have to be streamed get → put.
 */
export function canCopyFrom(destination: Storage, source: Storage): destination is CopyingStorage {
  const scope = destination.capabilities.copy?.scope;
  return scope !== undefined && scope === source.capabilities.copy?.scope;
}
