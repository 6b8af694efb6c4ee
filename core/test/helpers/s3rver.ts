/**
 * Starts s3rver (a small S3 protocol server) on 127.0.0.1 with one bucket per
 * storage role, in a fresh temp directory, and gives back StorageSettings that
 * point the s3 driver at it. s3rver is weak — no SigV4 verification (it only
 * checks that the access key id exists), no Object Lock, no UploadPartCopy, no
 * ListParts, no AbortMultipartUpload, and CompleteMultipartUpload does not verify
 * ETags — so tests assert those requests at the SDK boundary instead.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageSettings } from '../../src/storage/index.ts';
import { storageRoles, type StorageRole } from '../../src/storage/types.ts';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverClass = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string; configs: string[] }[];
}) => S3rverInstance;
interface S3rverAccount {
  createKeyPair(accessKeyId: string, secretAccessKey: string): void;
}

const require = createRequire(import.meta.url);

export interface RunningS3rver {
  endpoint: string;
  settings: StorageSettings;
  close(): Promise<void>;
}

export function bucketFor(role: StorageRole): string {
  return `mediavault-${role}`;
}

export async function startS3rver(): Promise<RunningS3rver> {
  const S3rver = require('s3rver') as S3rverClass;
  // s3rver refuses access key ids it does not know; registering one per role lets
  // tests see that each role's client signs with its own credentials.
  const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account.js') as { DUMMY_ACCOUNT: S3rverAccount };
  const credentials = Object.fromEntries(
    storageRoles.map((role) => {
      const pair = { accessKeyId: `mediavault-${role}`, secretAccessKey: `secret-${role}` };
      DUMMY_ACCOUNT.createKeyPair(pair.accessKeyId, pair.secretAccessKey);
      return [role, pair];
    }),
  ) as StorageSettings['s3']['credentials'];

  const directory = await mkdtemp(join(tmpdir(), 'mediavault-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: storageRoles.map((role) => ({ name: bucketFor(role), configs: [] })),
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const buckets = Object.fromEntries(
    storageRoles.map((role) => [role, bucketFor(role)]),
  ) as StorageSettings['s3']['buckets'];
  return {
    endpoint,
    settings: {
      driver: 's3',
      fs: { root: join(directory, 'unused-fs-root'), publicUrl: 'http://127.0.0.1:1', signingKey: 'unused' },
      s3: { endpoint, region: 'us-east-1', forcePathStyle: true, buckets, credentials },
    },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
