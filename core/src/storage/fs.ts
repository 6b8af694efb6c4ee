/**
 * The fs storage driver: one directory per role (`<root>/<role>/`), keys are
 * relative paths below it. The single-node default, and a real option for
 * masters on a NAS.
 *
 * Layout of a role root (fs-keys.ts names the driver's directories):
 *   <key>                     published objects (only ever appear by rename: a reader never sees half a file;
 *                             fs-files.ts writes temp files and renames them into place)
 *   .tmp/                     temp files being written; same file system as the keys, so rename is atomic
 *   .retention/<key>.json     {"retainUntil": ISO} for objects written with retainUntil, which are also
 *                             made read-only (fs-retention.ts)
 *   .multipart/<uploadId>/    upload.json and the parts of a multipart upload: one file per part, or with a
 *                             layout one data file the parts are written into in place (fs-multipart.ts,
 *                             fs-part-layout.ts)
 * Presigned URLs point at the api's `/storage/*` endpoints (fs-presigned.ts, signed by fs-url-signing.ts).
 */
import { chmodSync, type Dirent, type Stats } from 'node:fs';
import {
  copyFile,
  constants as fsConstants,
  type FileHandle,
  link,
  mkdir,
  open,
  readdir,
  rm,
  stat,
  unlink,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { AppError, errors } from '../errors.ts';
import type { CopyingStorage, CopyOptions } from './copy.ts';
import { unquoteEtag } from './etags.ts';
import {
  type FsModes,
  fsModes,
  hasCode,
  READ_CHUNK,
  removeEmptyParents,
  renameIntoPlace,
  statEtag,
  syncFile,
  tempPathIn,
  uploadsAreDurable,
  writeTempFile,
} from './fs-files.ts';
import { assertSafeKey, fsDriverDirs, fsInternalDirs } from './fs-keys.ts';
import { FsMultipartUploads } from './fs-multipart.ts';
import { FsRetentionRecords } from './fs-retention.ts';
import {
  buildFsPresignedUrl,
  type FsSignatureCheck,
  type FsSignedFields,
  verifyFsSignature,
} from './fs-url-signing.ts';
import { assertPartNumber, assertPresignExpiry } from './rules.ts';
import type {
  AssembledObject,
  ByteRange,
  MultipartOptions,
  ObjectInfo,
  PutOptions,
  StorageCapabilities,
  StorageRole,
  UploadedPart,
} from './types.ts';

/** The api imports these from here; they live in etags.ts, shared by both drivers. */
export { quoteEtag, unquoteEtag } from './etags.ts';

export interface FsStorageSettings {
  root: string;
  publicUrl: string;
  signingKey: string;
  /** Permission bits of stored objects (default 0640: owner and group); folders and masters follow from it. */
  fileMode?: number;
}

export interface FsStorageOptions {
  /** Clock for presign expiry and retention checks; tests move it to exercise expiry without sleeping. */
  now?: () => Date;
}

/** A whole-object PUT is signed for its body's sha256, in the base64 form of x-amz-checksum-sha256. */
function assertBase64Sha256(checksum: string): void {
  if (typeof checksum !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(checksum)) {
    throw errors.badRequest('checksumSha256 must be the base64 sha256 of the body (44 characters)', {
      checksumSha256: checksum,
    });
  }
}

export class FsStorage implements CopyingStorage {
  readonly driver = 'fs' as const;
  readonly role: StorageRole;
  readonly capabilities: StorageCapabilities;
  /** `<root>/<role>` */
  readonly roleRoot: string;
  readonly #root: string;
  readonly #tempDir: string;
  readonly #publicUrl: string;
  readonly #signingKey: string;
  readonly #now: () => Date;
  readonly #retention: FsRetentionRecords;
  readonly #uploads: FsMultipartUploads;
  readonly #modes: FsModes;

  constructor(role: StorageRole, settings: FsStorageSettings, options: FsStorageOptions = {}) {
    if (!settings.root) throw new Error('fs storage needs a root directory');
    this.role = role;
    this.#root = settings.root;
    this.roleRoot = join(settings.root, role);
    this.#tempDir = join(this.roleRoot, fsDriverDirs.temp);
    this.#publicUrl = settings.publicUrl;
    this.#signingKey = settings.signingKey;
    this.#now = options.now ?? (() => new Date());
    this.#modes = fsModes(settings.fileMode);
    // A role root made by an earlier release (0755) is closed to other accounts now; a new one
    // is made with the folder mode by its first write.
    try {
      chmodSync(this.roleRoot, this.#modes.dir);
    } catch (err) {
      if (!hasCode(err, 'ENOENT')) throw err;
    }
    this.#retention = new FsRetentionRecords(this.roleRoot, this.#now, this.#modes);
    this.#uploads = new FsMultipartUploads(this.roleRoot, this.#now, this.#modes, {
      publish: (file, key, publishOptions) => this.#publish(file, key, undefined, publishOptions),
      refuseOverwrite: async (key) => {
        await this.#retention.refuse('overwrite', key);
      },
      etag: async (key) => (await this.head(key))?.etag,
    });
    this.capabilities = {
      partChecksums: 'when-signed-or-sent',
      signedPutProvesSha256: true,
      presignedUrlsServedBy: 'api',
      // Every role of one root copies from another by link or file copy (copyObject's sourceRole).
      copy: { scope: `fs:${resolve(settings.root)}`, multipartAboveBytes: null },
      retention: 'read-only-file',
      localPaths: true,
    };
  }

  // ---- objects -------------------------------------------------------------------------------

  async put(key: string, body: Readable | Buffer, options: PutOptions = {}): Promise<void> {
    assertSafeKey(key);
    await this.#retention.refuse('overwrite', key);
    const temp = await writeTempFile(this.#tempDir, body, {
      expectedSha256: options.checksumSha256,
      hash: options.checksumSha256 !== undefined,
      durable: options.retainUntil !== undefined,
      modes: this.#modes,
    });
    await this.#publish(temp.path, key, options.retainUntil);
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertSafeKey(key);
    let handle: FileHandle;
    try {
      handle = await open(this.#objectPath(key), 'r');
    } catch (err) {
      if (hasCode(err, 'ENOENT', 'ENOTDIR')) throw errors.notFound('object');
      throw err;
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw errors.notFound('object');
      if (!range) return handle.createReadStream({ highWaterMark: READ_CHUNK });
      const { start } = range;
      if (
        !Number.isSafeInteger(start) ||
        !Number.isSafeInteger(range.end) ||
        start < 0 ||
        range.end < start ||
        start >= info.size
      ) {
        throw new AppError(
          'range_not_satisfiable',
          `range ${start}-${range.end} is outside the object (${info.size} bytes)`,
          {
            size: info.size,
          },
        );
      }
      return handle.createReadStream({ start, end: Math.min(range.end, info.size - 1), highWaterMark: READ_CHUNK });
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  localPath(key: string): string {
    assertSafeKey(key);
    return this.#objectPath(key);
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertSafeKey(key);
    let info: Stats;
    try {
      info = await stat(this.#objectPath(key));
    } catch (err) {
      if (hasCode(err, 'ENOENT', 'ENOTDIR')) return null;
      throw err;
    }
    if (!info.isFile()) return null;
    const retainUntil = await this.#retention.until(key);
    return {
      key,
      size: info.size,
      etag: statEtag(info.size, info.mtimeMs),
      lastModified: info.mtime,
      ...(retainUntil ? { retainUntil } : {}),
    };
  }

  /** Recursive, in the byte order of keys (as S3 lists), skipping the driver's internal directories. */
  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    if (prefix.startsWith('/') || prefix.includes('\\') || prefix.split('/').some((s) => s === '..')) {
      throw errors.badRequest(`invalid list prefix ${JSON.stringify(prefix)}`);
    }
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    for await (const info of this.#walk(dirPart)) {
      if (info.key.startsWith(prefix)) yield info;
    }
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    const retainUntil = await this.#retention.refuse('delete', key);
    try {
      await unlink(this.#objectPath(key));
    } catch (err) {
      // Deletes are idempotent (as on S3): a retried job must not fail because the first try succeeded.
      if (!hasCode(err, 'ENOENT', 'ENOTDIR')) throw err;
    }
    if (retainUntil) await this.#retention.forget(key);
    await removeEmptyParents(dirname(this.#objectPath(key)), this.roleRoot);
  }

  /**
   * Promotion between roles: a hard link when source and destination share a file
   * system (instant, no second copy of a large master), a copy otherwise; then
   * published like a put (read-only and recorded when retained). A hard link shares
   * the inode, so retention's chmod also applies to the source name; that is
   * harmless because no fs write modifies a file in place (all writes are rename).
   */
  async copyObject(sourceKey: string, destKey: string, options: CopyOptions = {}): Promise<void> {
    assertSafeKey(sourceKey);
    assertSafeKey(destKey);
    const sourcePath = join(this.#root, options.sourceRole ?? this.role, sourceKey);
    let info: Stats;
    try {
      info = await stat(sourcePath);
    } catch (err) {
      if (hasCode(err, 'ENOENT', 'ENOTDIR')) throw errors.notFound('copy source');
      throw err;
    }
    if (!info.isFile()) throw errors.notFound('copy source');
    if (options.sourceEtag && unquoteEtag(options.sourceEtag) !== unquoteEtag(statEtag(info.size, info.mtimeMs))) {
      throw new AppError('precondition_failed', `copy source ${sourceKey} changed since it was verified`);
    }
    await this.#retention.refuse('overwrite', destKey);
    await mkdir(this.#tempDir, { recursive: true, mode: this.#modes.dir });
    const temp = tempPathIn(this.#tempDir);
    try {
      await link(sourcePath, temp);
    } catch (err) {
      if (!hasCode(err, 'EXDEV', 'EPERM', 'ENOTSUP', 'EMLINK')) throw err;
      await copyFile(sourcePath, temp, fsConstants.COPYFILE_FICLONE);
    }
    if (options.retainUntil) await syncFile(temp);
    await this.#publish(temp, destKey, options.retainUntil);
  }

  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    assertSafeKey(key);
    assertPresignExpiry(expiresInSeconds);
    return this.#presign({
      method: 'GET',
      role: this.role,
      key,
      uploadId: '',
      partNumber: 0,
      expires: this.#expiry(expiresInSeconds),
    });
  }

  async presignPut(key: string, expiresInSeconds: number, options: { checksumSha256: string }): Promise<string> {
    assertSafeKey(key);
    assertPresignExpiry(expiresInSeconds);
    assertBase64Sha256(options.checksumSha256);
    return this.#presign({
      method: 'PUT',
      role: this.role,
      key,
      uploadId: '',
      partNumber: 0,
      expires: this.#expiry(expiresInSeconds),
      checksumSha256: options.checksumSha256,
    });
  }

  /**
   * Stores a whole object (what a presigned whole-object PUT does): refused while the key is
   * retained, verified against checksumSha256 while written (a mismatch keeps nothing), and on
   * disk before it appears under its key. Answers the ETag head(key) reports for it.
   */
  async writeObject(
    key: string,
    body: Readable | Buffer,
    options: { checksumSha256: string },
  ): Promise<{ etag: string; size: number }> {
    assertSafeKey(key);
    assertBase64Sha256(options.checksumSha256);
    await this.#retention.refuse('overwrite', key);
    const temp = await writeTempFile(this.#tempDir, body, {
      expectedSha256: options.checksumSha256,
      hash: true,
      durable: uploadsAreDurable,
      modes: this.#modes,
    });
    let etag: string;
    try {
      // A rename keeps size and mtime, so the temp file's stat ETag is the object's.
      const info = await stat(temp.path);
      etag = statEtag(info.size, info.mtimeMs);
    } catch (err) {
      await rm(temp.path, { force: true });
      throw err;
    }
    await this.#publish(temp.path, key, undefined);
    return { etag, size: temp.size };
  }

  // ---- multipart (fs-multipart.ts) -------------------------------------------------------------

  async createMultipartUpload(key: string, options: MultipartOptions = {}): Promise<{ uploadId: string }> {
    assertSafeKey(key);
    return this.#uploads.create(key, options);
  }

  async presignUploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    expiresInSeconds: number,
    options: { checksumSha256?: string } = {},
  ): Promise<string> {
    assertSafeKey(key);
    assertPartNumber(partNumber);
    assertPresignExpiry(expiresInSeconds);
    await this.#uploads.load(key, uploadId);
    const checksum = options.checksumSha256 ? { checksumSha256: options.checksumSha256 } : {};
    return this.#presign({
      method: 'PUT',
      role: this.role,
      key,
      uploadId,
      partNumber,
      expires: this.#expiry(expiresInSeconds),
      ...checksum,
    });
  }

  /**
   * Stores one part (what a presigned part PUT does). With checksumSha256 (base64) the
   * bytes are verified while written and a mismatch records nothing. Re-uploading a part
   * number replaces it, as on S3. In an upload with a layout a part must have its exact
   * size (contentLength, when known, is checked before a byte is written).
   */
  async writeUploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable | Buffer,
    options: { checksumSha256?: string; contentLength?: number } = {},
  ): Promise<UploadedPart> {
    assertSafeKey(key);
    assertPartNumber(partNumber);
    return this.#uploads.writePart(key, uploadId, partNumber, body, options);
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    assertSafeKey(key);
    return this.#uploads.listParts(key, uploadId);
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<AssembledObject> {
    assertSafeKey(key);
    return this.#uploads.complete(key, uploadId, parts);
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    assertSafeKey(key);
    await this.#uploads.abort(key, uploadId);
  }

  // ---- presigned requests (used by fs-presigned.ts) --------------------------------------------

  checkPresignedSignature(fields: FsSignedFields, signature: string): FsSignatureCheck {
    return verifyFsSignature(fields, signature, this.#signingKey, Math.floor(this.#now().getTime() / 1000));
  }

  // ---- internals -----------------------------------------------------------------------------

  #objectPath(key: string): string {
    return join(this.roleRoot, key);
  }

  #expiry(expiresInSeconds: number): number {
    return Math.floor(this.#now().getTime() / 1000) + expiresInSeconds;
  }

  #presign(fields: FsSignedFields): string {
    return buildFsPresignedUrl(this.#publicUrl, fields, this.#signingKey);
  }

  /**
   * Moves a finished temp file onto its key in one rename. Retention is recorded before the file
   * appears. A failed publish removes the temp file unless keepSourceOnFailure (an upload's data
   * file, which must survive a refused completion).
   */
  async #publish(
    tempPath: string,
    key: string,
    retainUntil: Date | undefined,
    options: { keepSourceOnFailure?: boolean } = {},
  ): Promise<void> {
    const hadRetention = (await this.#retention.until(key)) !== undefined;
    try {
      await this.#retention.refuse('overwrite', key);
      if (retainUntil) await this.#retention.retain(key, tempPath, retainUntil);
      await renameIntoPlace(tempPath, this.#objectPath(key), key, this.#modes.dir);
    } catch (err) {
      if (!options.keepSourceOnFailure) await rm(tempPath, { force: true });
      if (retainUntil && !hadRetention) await this.#retention.forget(key);
      throw err;
    }
    // An expired retention record must not outlive the object it described.
    if (!retainUntil && hadRetention) await this.#retention.forget(key);
  }

  async *#walk(relDir: string): AsyncGenerator<ObjectInfo> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(this.roleRoot, relDir), { withFileTypes: true });
    } catch (err) {
      if (hasCode(err, 'ENOENT', 'ENOTDIR')) return;
      throw err;
    }
    // Sorting directories as "name/" makes a depth-first walk come out in the byte order of full keys.
    const sorted = entries
      .filter((e) => (e.isFile() || e.isDirectory()) && !(relDir === '' && fsInternalDirs.includes(e.name)))
      .map((e) => ({ entry: e, sortKey: Buffer.from(e.isDirectory() ? `${e.name}/` : e.name) }))
      .sort((a, b) => Buffer.compare(a.sortKey, b.sortKey));
    for (const { entry } of sorted) {
      const key = relDir + entry.name;
      if (entry.isDirectory()) {
        yield* this.#walk(`${key}/`);
        continue;
      }
      let info: Stats;
      try {
        info = await stat(join(this.roleRoot, key));
      } catch (err) {
        if (hasCode(err, 'ENOENT')) continue; // deleted while listing
        throw err;
      }
      yield { key, size: info.size, etag: statEtag(info.size, info.mtimeMs), lastModified: info.mtime };
    }
  }
}

export function createFsStorage(role: StorageRole, settings: FsStorageSettings, options?: FsStorageOptions): FsStorage {
  return new FsStorage(role, settings, options);
}
