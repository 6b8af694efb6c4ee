import type { Config } from '../config.ts';
import { createStorage, type StorageOptions, type StorageSettings } from './index.ts';
import { storageRoles, type Storage, type StorageRole } from './types.ts';

/** Storage settings of the configuration; fs presigned URLs point at the api's public URL. */
export function storageSettingsFromConfig(config: Config, apiPublicUrl: string): StorageSettings {
  return {
    driver: config.storage.driver,
    fs: {
      root: config.storage.fs.root,
      publicUrl: apiPublicUrl,
      signingKey: config.storage.fs.signingKey,
      fileMode: config.storage.fs.fileMode,
    },
    s3: {
      endpoint: config.storage.s3.endpoint,
      region: config.storage.s3.region,
      forcePathStyle: config.storage.s3.forcePathStyle,
      buckets: config.storage.s3.buckets,
      credentials: config.storage.s3.credentials,
    },
  };
}

export function createStorages(settings: StorageSettings, options: StorageOptions = {}): Record<StorageRole, Storage> {
  return Object.fromEntries(storageRoles.map((role) => [role, createStorage(role, settings, options)])) as Record<
    StorageRole,
    Storage
  >;
}

/** Every role's storage as the configuration describes it, with the configured copy threshold. */
export function createStoragesFromConfig(config: Config, apiPublicUrl: string): Record<StorageRole, Storage> {
  return createStorages(storageSettingsFromConfig(config, apiPublicUrl), {
    s3: { multipartCopyThresholdBytes: config.multipartCopyThresholdBytes },
  });
}
