/**
 * Storage entry point: pick a driver for a role from settings. Each role gets its
 * own root (fs) or bucket + credentials (s3), so a component only ever holds the
 * access its role needs.
 */
import { FsStorage, type FsStorageOptions, type FsStorageSettings } from './fs.ts';
import { S3Storage, type S3StorageOptions, type S3StorageSettings } from './s3.ts';
import type { CopyingStorage } from './copy.ts';
import type { Storage, StorageRole } from './types.ts';

export type {
  ByteRange,
  ObjectInfo,
  PutOptions,
  Storage,
  StorageCapabilities,
  StorageRole,
  UploadedPart,
} from './types.ts';
export { storageRoles } from './types.ts';
export { canCopyFrom, type CopyingStorage, type CopyOptions } from './copy.ts';
export { FsStorage, type FsStorageSettings } from './fs.ts';
export { S3Storage, type S3StorageSettings, type S3CopyOptions } from './s3.ts';

export interface StorageSettings {
  driver: 'fs' | 's3';
  /** Role R lives under <root>/<R>/; presigned URLs point at publicUrl (the api's /storage/* endpoints). */
  fs: FsStorageSettings;
  s3: S3StorageSettings;
}

/** Driver-specific knobs that are not configuration (tests use them to move clocks and shrink part sizes). */
export interface StorageOptions {
  fs?: FsStorageOptions;
  s3?: S3StorageOptions;
}

export function createStorage(role: StorageRole, settings: StorageSettings, options: StorageOptions = {}): Storage {
  switch (settings.driver) {
    case 'fs':
      return new FsStorage(role, settings.fs, options.fs);
    case 's3':
      return new S3Storage(role, settings.s3, options.s3);
    default:
      throw new Error(`unknown storage driver ${JSON.stringify(settings.driver satisfies never)}`);
  }
}

/**
 * Whether the store copies server-side at all (capabilities.copy). A copy from another role's
 * store also needs both in one scope: canCopyFrom(destination, source) asks both questions.
 */
export function supportsCopy(storage: Storage): storage is CopyingStorage {
  return storage.capabilities.copy !== null;
}
