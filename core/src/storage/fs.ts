/**
 * The fs storage driver: one directory per role (`<root>/<role>/`), keys are
 * relative paths below it. The single-node default, and a real option for
 * masters on a NAS.
 *
 * Layout of a role root:
 *   <key>                     published objects (only ever appear by rename: a reader never sees half a file)
 *   .tmp/                     temp files being written; same file system as the keys, so rename is atomic
 *   .retention/<key>.json     {"retainUntil": ISO} for objects written with retainUntil (the file is also chmod 0444).
 *                             A sidecar, not an xattr, because NAS mounts (NFS/SMB) often drop xattrs.
 *   .multipart/<uploadId>/    upload.json {key, contentType, createdAt, layout?} and the parts, in one of two forms:
 *                             - without layout: one file per part named `<partNumber>.<sha256 hex>`: the sha256
 *                               is the part's ETag and checksum (one hash per byte written: SHA-256 runs at twice
 *                               MD5's speed on CPUs with SHA extensions), and keeping it in the name makes a part
 *                               + its ETag appear in one rename. Completion copies them into one new file.
 *                             - with layout {size, partSize}: `data`, sized up front, holds every part at
 *                               (partNumber - 1) * partSize, and an empty marker of the same name
 *                               `<partNumber>.<sha256 hex>` records each part written there (its size is the
 *                               layout's: no other size is accepted). Completion re-hashes each part's place (a
 *                               torn write from two racing PUTs of one part is refused) and renames `data` onto
 *                               the key: no byte is copied.
 * Presigned URLs point at the api's `/storage/*` endpoints (fs-presigned.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type Dirent, existsSync, type Stats } from 'node:fs';
import {
  chmod,
  copyFile,
  constants as fsConstants,
  type FileHandle,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, errors } from '../errors.ts';
import { assertSafeKey, fsInternalDirs, isFsUploadId } from './fs-keys.ts';
import { assertCompletionOrder, assertPartNumber, assertPresignExpiry, maxPartNumber } from './rules.ts';
import {
  buildFsPresignedUrl,
  type FsSignatureCheck,
  type FsSignedFields,
  verifyFsSignature,
} from './fs-url-signing.ts';
import type { CopyingStorage, CopyOptions } from './copy.ts';
import type {
  AssembledObject,
  ByteRange,
  MultipartOptions,
  ObjectInfo,
  PutOptions,
  StorageRole,
  StorageCapabilities,
  UploadedPart,
} from './types.ts';

export interface FsStorageSettings {
  root: string;
  publicUrl: string;
  signingKey: string;
}

export interface FsStorageOptions {
  /** Clock for presign expiry and retention checks; tests move it to exercise expiry without sleeping. */
  now?: () => Date;
}

interface UploadRecord {
  key: string;
  contentType?: string;
  createdAt: string;
  /** MultipartOptions.layout: parts are written in place into DATA_FILE. */
  layout?: PartLayout;
}

/** The object's size and the size of every part but the last, fixed when the upload is created. */
interface PartLayout {
  size: number;
  partSize: number;
}

type StoredPart = UploadedPart & { path: string; mtimeMs: number };

interface WrittenTemp {
  path: string;
  size: number;
  /** Hex sha256 of what was written, when hashed. */
  sha256Hex: string | undefined;
}

/** Large reads: a master is hashed and copied in 1 MiB steps rather than Node's 64 KiB default (fewer buffers to collect). */
const READ_CHUNK = 1024 * 1024;
/**
 * Bytes a file write stream buffers before it pushes back on its source. With Node's 16 KiB
 * default a body from the network is written one socket chunk (64 KiB) per thread-pool round
 * trip, and the socket waits for each: a 16 MiB part took 280 ms to receive. Buffering up to
 * 4 MiB lets each write take everything that arrived meanwhile (one writev): 110 ms, and a
 * third of the kernel time (4 × 512 MiB through the stack: 10 s instead of 11.8 s).
 */
const WRITE_BUFFER = 4 * 1024 * 1024;
/**
 * A stored part, named `<partNumber>.<sha256 hex>`: without layout the file holds the part's
 * bytes; with layout it is an empty marker (the bytes are in DATA_FILE, the size is the layout's).
 */
const PART_FILE = /^(\d+)\.([0-9a-f]{64})$/;
/** An upload with layout: every part's bytes at (partNumber - 1) * partSize, published by rename on completion. */
const DATA_FILE = 'data';

function parsePartName(name: string): { partNumber: number; sha256Hex: string } | null {
  const m = PART_FILE.exec(name);
  return m ? { partNumber: Number(m[1]), sha256Hex: m[2]! } : null;
}

function layoutPartCount(layout: PartLayout): number {
  return Math.max(1, Math.ceil(layout.size / layout.partSize));
}

function assertLayout(layout: PartLayout): void {
  const { size, partSize } = layout;
  if (!Number.isSafeInteger(size) || size < 0 || !Number.isSafeInteger(partSize) || partSize < 1) {
    throw errors.badRequest('layout needs a non-negative integer size and a positive integer partSize', {
      size,
      partSize,
    });
  }
  if (layoutPartCount(layout) > maxPartNumber) {
    throw errors.badRequest(`layout of ${size} bytes in parts of ${partSize} needs more than ${maxPartNumber} parts`, {
      size,
      partSize,
    });
  }
}

/** Where part partNumber lives in the data file. */
function layoutRegion(layout: PartLayout, partNumber: number): { offset: number; length: number } {
  const count = layoutPartCount(layout);
  if (partNumber > count) {
    throw errors.badRequest(`part ${partNumber} is past the last part: this upload has ${count} parts`, {
      partNumber,
      partCount: count,
    });
  }
  const offset = (partNumber - 1) * layout.partSize;
  return { offset, length: Math.min(layout.partSize, layout.size - offset) };
}

/**
 * One read of an upload's data file: the whole object's sha256, and each part's place checked
 * against its recorded sha256 (hex, index partNumber - 1) where one is given (null: the part
 * was written by one request alone, so its place holds what was verified as it was written).
 * Reads ahead into a second buffer while the first is hashed, so the disk and the hash work at
 * the same time.
 */
async function hashPlacedParts(
  path: string,
  layout: PartLayout,
  recordedSha256Hex: (string | null)[],
): Promise<{ sha256Hex: string } | { tornPart: number }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size !== layout.size) throw new Error(`upload data file ${path} has ${size} bytes, its layout ${layout.size}`);
    const whole = createHash('sha256');
    let partNumber = 1;
    let region = createHash('sha256');
    let regionLeft = layoutRegion(layout, 1).length;
    const buffers = [Buffer.allocUnsafe(Math.min(READ_CHUNK, size)), Buffer.allocUnsafe(Math.min(READ_CHUNK, size))];
    let position = 0;
    let reading = size > 0 ? handle.read(buffers[0]!, 0, buffers[0]!.length, 0) : null;
    for (let turn = 1; reading; turn++) {
      const { bytesRead, buffer } = await reading;
      if (bytesRead === 0) throw new Error(`upload data file ${path} ended at ${position} of ${size} bytes`);
      position += bytesRead;
      const next = buffers[turn % 2]!;
      reading = position < size ? handle.read(next, 0, Math.min(next.length, size - position), position) : null;
      const chunk = buffer.subarray(0, bytesRead);
      whole.update(chunk);
      for (let at = 0; at < chunk.length; ) {
        const take = Math.min(regionLeft, chunk.length - at);
        const expected = recordedSha256Hex[partNumber - 1];
        if (expected) region.update(chunk.subarray(at, at + take));
        at += take;
        regionLeft -= take;
        if (regionLeft > 0) continue;
        if (expected && region.digest('hex') !== expected) return { tornPart: partNumber };
        partNumber++;
        if (partNumber <= recordedSha256Hex.length) {
          region = createHash('sha256');
          regionLeft = layoutRegion(layout, partNumber).length;
        }
      }
    }
    // An empty object is one empty part, which the loop above never reached.
    if (size === 0 && recordedSha256Hex[0] && region.digest('hex') !== recordedSha256Hex[0]) return { tornPart: 1 };
    return { sha256Hex: whole.digest('hex') };
  } finally {
    // close() waits for a read still in flight (after an early return).
    await handle.close();
  }
}

/**
 * What a client PUTs (whole objects and parts) is fsync'd before the PUT is answered, as S3's
 * 200 means the bytes are stored: a crash after the answer must not leave a staged part the
 * client will not send again but whose pages never reached the disk. It costs little where it
 * matters: the writeback overlaps the network, and promotion's fsync of the hard-linked master
 * then finds clean pages (4 × 128 MiB through the stack, layout uploads: 4.4 s instead of 3.9 s
 * without promotion, 4.1 s instead of 4.5 s with it).
 */
const uploadsAreDurable = true;

function assertBase64Sha256(checksum: string): void {
  if (typeof checksum !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(checksum)) {
    throw errors.badRequest('checksumSha256 must be the base64 sha256 of the body (44 characters)', {
      checksumSha256: checksum,
    });
  }
}

function hasCode(err: unknown, ...codes: string[]): boolean {
  return typeof err === 'object' && err !== null && codes.includes((err as NodeJS.ErrnoException).code ?? '');
}

/** A retained object's bytes are on disk before it appears under its key. */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function quoteEtag(etag: string): string {
  return `"${unquoteEtag(etag)}"`;
}

export function unquoteEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/"/g, '');
}

function sameSha256(a: string, b: string): boolean {
  return Buffer.from(a, 'base64').equals(Buffer.from(b, 'base64'));
}

export class FsStorage implements CopyingStorage {
  readonly driver = 'fs' as const;
  readonly role: StorageRole;
  readonly capabilities: StorageCapabilities;
  /** `<root>/<role>` */
  readonly roleRoot: string;
  readonly #root: string;
  readonly #publicUrl: string;
  readonly #signingKey: string;
  readonly #now: () => Date;

  constructor(role: StorageRole, settings: FsStorageSettings, options: FsStorageOptions = {}) {
    if (!settings.root) throw new Error('fs storage needs a root directory');
    this.role = role;
    this.#root = settings.root;
    this.roleRoot = join(settings.root, role);
    this.#publicUrl = settings.publicUrl;
    this.#signingKey = settings.signingKey;
    this.#now = options.now ?? (() => new Date());
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
    await this.#refuseOverwriteWhileRetained(key);
    const temp = await this.#writeTemp(join(this.roleRoot, '.tmp'), body, {
      expectedSha256: options.checksumSha256,
      hash: options.checksumSha256 !== undefined,
      durable: options.retainUntil !== undefined,
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
    const retainUntil = await this.#readRetention(key);
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
    const retainUntil = await this.#readRetention(key);
    if (retainUntil && retainUntil > this.#now()) {
      throw errors.forbidden(`${key} is under retention until ${retainUntil.toISOString()} and cannot be deleted`);
    }
    try {
      await unlink(this.#objectPath(key));
    } catch (err) {
      // Deletes are idempotent (as on S3): a retried job must not fail because the first try succeeded.
      if (!hasCode(err, 'ENOENT', 'ENOTDIR')) throw err;
    }
    if (retainUntil) await rm(this.#retentionPath(key), { force: true });
    await this.#removeEmptyParents(dirname(this.#objectPath(key)), this.roleRoot);
  }

  /**
   * Promotion between roles: a hard link when source and destination share a file
   * system (instant, no second copy of a large master), a copy otherwise; then
   * published like a put (read-only and recorded when retained). A hard link shares
   * the inode, so retention's chmod 0444 also applies to the source name; that is
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
    await this.#refuseOverwriteWhileRetained(destKey);
    const tempDir = join(this.roleRoot, '.tmp');
    await mkdir(tempDir, { recursive: true });
    const temp = join(tempDir, `tmp-${randomBytes(12).toString('hex')}`);
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
    await this.#refuseOverwriteWhileRetained(key);
    const temp = await this.#writeTemp(join(this.roleRoot, '.tmp'), body, {
      expectedSha256: options.checksumSha256,
      hash: true,
      durable: uploadsAreDurable,
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

  // ---- multipart -----------------------------------------------------------------------------

  /**
   * The fs driver verifies a part's checksum whenever one is signed or sent, so checksumAlgorithm
   * changes nothing here. With a layout the parts are written in place into one data file sized
   * up front (sparse: Node has no fallocate), so completing publishes that file without a copy.
   */
  async createMultipartUpload(key: string, options: MultipartOptions = {}): Promise<{ uploadId: string }> {
    assertSafeKey(key);
    if (options.layout) assertLayout(options.layout);
    const uploadId = randomBytes(16).toString('hex');
    const dir = this.#uploadDir(uploadId);
    await mkdir(dir, { recursive: true });
    const record: UploadRecord = {
      key,
      createdAt: this.#now().toISOString(),
      ...(options.contentType ? { contentType: options.contentType } : {}),
      ...(options.layout ? { layout: { size: options.layout.size, partSize: options.layout.partSize } } : {}),
    };
    if (record.layout) {
      const data = await open(join(dir, DATA_FILE), 'wx');
      try {
        await data.truncate(record.layout.size);
      } finally {
        await data.close();
      }
    }
    // upload.json appears by rename, so a half-written record never names an upload.
    const temp = join(dir, `tmp-${randomBytes(8).toString('hex')}`);
    await writeFile(temp, JSON.stringify(record));
    await rename(temp, join(dir, 'upload.json'));
    return { uploadId };
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
    await this.#loadUpload(key, uploadId);
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
    const record = await this.#loadUpload(key, uploadId);
    if (record.layout) return this.#writePartInPlace(uploadId, record.layout, partNumber, body, options);
    const dir = this.#uploadDir(uploadId);
    const temp = await this.#writeTemp(dir, body, {
      expectedSha256: options.checksumSha256,
      hash: true,
      durable: uploadsAreDurable,
    });
    const name = `${partNumber}.${temp.sha256Hex}`;
    try {
      await rename(temp.path, join(dir, name));
    } catch (err) {
      await rm(temp.path, { force: true });
      // The upload was completed or aborted while this part was in flight.
      if (hasCode(err, 'ENOENT')) throw errors.notFound('upload');
      throw err;
    }
    await this.#removeOtherRecords(dir, partNumber, name);
    return {
      partNumber,
      etag: quoteEtag(temp.sha256Hex!),
      size: temp.size,
      checksumSha256: Buffer.from(temp.sha256Hex!, 'hex').toString('base64'),
    };
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    assertSafeKey(key);
    const record = await this.#loadUpload(key, uploadId);
    return [...(await this.#storedParts(uploadId, record.layout)).values()]
      .map(({ partNumber, etag, size }) => ({
        partNumber,
        etag,
        size,
        checksumSha256: Buffer.from(unquoteEtag(etag), 'hex').toString('base64'),
      }))
      .sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<AssembledObject> {
    assertSafeKey(key);
    const record = await this.#loadUpload(key, uploadId);
    assertCompletionOrder(parts);
    const stored = await this.#storedParts(uploadId, record.layout);
    const chosen = parts.map(({ partNumber, etag }) => {
      const part = stored.get(partNumber);
      if (!part) throw errors.badRequest(`part ${partNumber} was never uploaded`, { partNumber });
      if (unquoteEtag(etag) !== unquoteEtag(part.etag)) {
        throw errors.badRequest(
          `part ${partNumber}: ETag ${quoteEtag(etag)} does not match the uploaded part (${part.etag})`,
          {
            partNumber,
            expected: part.etag,
            given: quoteEtag(etag),
          },
        );
      }
      return part;
    });
    if (record.layout && chosen.length !== layoutPartCount(record.layout)) {
      const { size, partSize } = record.layout;
      throw errors.badRequest(
        `this upload has ${layoutPartCount(record.layout)} parts (${size} bytes in parts of ${partSize}); ${chosen.length} were listed`,
        {
          partCount: layoutPartCount(record.layout),
        },
      );
    }
    await this.#refuseOverwriteWhileRetained(key);
    if (record.layout) return this.#completeInPlace(key, uploadId, record.layout, chosen);

    const files = chosen.map((part) => part.path);
    async function* concatenated() {
      for (const file of files) yield* createReadStream(file, { highWaterMark: READ_CHUNK });
    }
    // Every byte passes through here once: hashing them on the way gives promotion the whole
    // object's sha256 without reading it again.
    const temp = await this.#writeTemp(join(this.roleRoot, '.tmp'), Readable.from(concatenated()), { hash: true });
    await this.#publish(temp.path, key, undefined);
    await rm(this.#uploadDir(uploadId), { recursive: true, force: true });
    const info = await this.head(key);
    return { sha256: temp.sha256Hex!, ...(info?.etag ? { etag: info.etag } : {}) };
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    assertSafeKey(key);
    await this.#loadUpload(key, uploadId);
    await rm(this.#uploadDir(uploadId), { recursive: true, force: true });
  }

  /**
   * A part of an upload with a layout: written at its place in the data file, hashed and
   * checked as it goes, then recorded by a marker named after its sha256 and size. A write
   * that fails after touching the part's place withdraws the part's record: those bytes may
   * no longer be the recorded part's, and listParts must then ask for the part again.
   */
  async #writePartInPlace(
    uploadId: string,
    layout: PartLayout,
    partNumber: number,
    body: Readable | Buffer,
    options: { checksumSha256?: string; contentLength?: number },
  ): Promise<UploadedPart> {
    const { offset, length } = layoutRegion(layout, partNumber);
    const wrongSize = (actual: string) =>
      errors.badRequest(
        `part ${partNumber} must be ${length} bytes (${length === layout.partSize ? 'the part size' : 'the rest of the object after the full parts'}), not ${actual}; the part was not recorded`,
        { partNumber, expectedSize: length },
      );
    if (options.contentLength !== undefined && options.contentLength !== length)
      throw wrongSize(String(options.contentLength));
    const dir = this.#uploadDir(uploadId);
    // Two requests for one part (a client retry while the first is still being received) can
    // interleave their bytes at its place. The first holds `<n>.writing` while it writes; one
    // that finds it there marks the part overlapped, which completion then re-hashes. Any two
    // overlapping writes meet this way: both cannot hold the mark at the same time.
    const writingMark = join(dir, `${partNumber}.writing`);
    let holdsMark = false;
    try {
      await writeFile(writingMark, '', { flag: 'wx' });
      holdsMark = true;
    } catch (err) {
      if (hasCode(err, 'ENOENT')) throw errors.notFound('upload');
      if (!hasCode(err, 'EEXIST')) throw err;
      await writeFile(join(dir, `${partNumber}.overlapped`), '');
    }
    try {
      return await this.#writePartAtPlace(dir, partNumber, offset, length, body, options, wrongSize);
    } finally {
      if (holdsMark) await rm(writingMark, { force: true });
    }
  }

  async #writePartAtPlace(
    dir: string,
    partNumber: number,
    offset: number,
    length: number,
    body: Readable | Buffer,
    options: { checksumSha256?: string },
    wrongSize: (actual: string) => Error,
  ): Promise<UploadedPart> {
    const sha256 = createHash('sha256');
    let size = 0;
    const placing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        // Stop before the first byte that would spill into the next part's place.
        if (size + chunk.length > length) return done(wrongSize(`more than ${length}`));
        sha256.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      await pipeline(
        source,
        placing,
        createWriteStream(join(dir, DATA_FILE), {
          flags: 'r+',
          start: offset,
          flush: uploadsAreDurable,
          highWaterMark: WRITE_BUFFER,
        }),
      );
      if (size !== length) throw wrongSize(String(size));
      const sha256Hex = sha256.digest('hex');
      const actual = Buffer.from(sha256Hex, 'hex').toString('base64');
      if (options.checksumSha256 !== undefined && !sameSha256(options.checksumSha256, actual)) {
        throw errors.checksumMismatch('the part does not match the given sha256 checksum; it was not recorded', {
          expected: options.checksumSha256,
          actual,
        });
      }
      const name = `${partNumber}.${sha256Hex}`;
      await writeFile(join(dir, name), '');
      await this.#removeOtherRecords(dir, partNumber, name);
      return { partNumber, etag: quoteEtag(sha256Hex), size, checksumSha256: actual };
    } catch (err) {
      if (size > 0) await this.#removeOtherRecords(dir, partNumber, null);
      // The upload was completed or aborted while this part was in flight.
      if (hasCode(err, 'ENOENT')) throw errors.notFound('upload');
      throw err;
    }
  }

  /**
   * Completes an upload with a layout: one read of the data file hashes the whole object and
   * each part's place; a place whose bytes are not its recorded part's (two PUTs of one part
   * raced and interleaved) refuses the completion and withdraws that part's record, so the
   * client sends it again. Otherwise the data file itself becomes the object, by rename.
   */
  async #completeInPlace(
    key: string,
    uploadId: string,
    layout: PartLayout,
    parts: StoredPart[],
  ): Promise<AssembledObject> {
    const dir = this.#uploadDir(uploadId);
    const data = join(dir, DATA_FILE);
    // Only a place two requests may have written at once can hold other bytes than its record says.
    const overlapped = await this.#overlappedParts(dir);
    const hashed = await hashPlacedParts(
      data,
      layout,
      parts.map((p) => (overlapped.has(p.partNumber) ? unquoteEtag(p.etag) : null)),
    );
    if ('tornPart' in hashed) {
      await rm(parts[hashed.tornPart - 1]!.path, { force: true });
      throw errors.badRequest(
        `part ${hashed.tornPart}: the bytes at its place are not the part that was recorded (two uploads of it overlapped?); it was withdrawn, upload it again`,
        { partNumber: hashed.tornPart },
      );
    }
    await this.#publish(data, key, undefined, { keepSourceOnFailure: true });
    await rm(dir, { recursive: true, force: true });
    const info = await this.head(key);
    return { sha256: hashed.sha256Hex, ...(info?.etag ? { etag: info.etag } : {}) };
  }

  /**
   * Parts of an upload whose place may hold bytes of two requests: one was written while
   * another request for it was in flight (it left a `.overlapped` mark), or a request for it
   * is in flight or died in flight (its `.writing` mark is there).
   */
  async #overlappedParts(dir: string): Promise<Set<number>> {
    const overlapped = new Set<number>();
    for (const name of await readdir(dir)) {
      const mark = /^(\d+)\.(writing|overlapped)$/.exec(name);
      if (mark) overlapped.add(Number(mark[1]));
    }
    return overlapped;
  }

  /** Removes the records of partNumber other than keep (all of them when keep is null). */
  async #removeOtherRecords(dir: string, partNumber: number, keep: string | null): Promise<void> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (hasCode(err, 'ENOENT')) return; // the upload is gone, and its records with it
      throw err;
    }
    for (const name of names) {
      if (name !== keep && parsePartName(name)?.partNumber === partNumber) await rm(join(dir, name), { force: true });
    }
  }

  // ---- presigned requests (used by fs-presigned.ts) --------------------------------------------

  checkPresignedSignature(fields: FsSignedFields, signature: string): FsSignatureCheck {
    return verifyFsSignature(fields, signature, this.#signingKey, Math.floor(this.#now().getTime() / 1000));
  }

  // ---- internals -----------------------------------------------------------------------------

  #objectPath(key: string): string {
    return join(this.roleRoot, key);
  }

  #retentionPath(key: string): string {
    return join(this.roleRoot, '.retention', `${key}.json`);
  }

  #uploadDir(uploadId: string): string {
    if (!isFsUploadId(uploadId)) throw errors.notFound('upload');
    return join(this.roleRoot, '.multipart', uploadId);
  }

  #expiry(expiresInSeconds: number): number {
    return Math.floor(this.#now().getTime() / 1000) + expiresInSeconds;
  }

  #presign(fields: FsSignedFields): string {
    return buildFsPresignedUrl(this.#publicUrl, fields, this.#signingKey);
  }

  async #loadUpload(key: string, uploadId: string): Promise<UploadRecord> {
    let record: UploadRecord;
    try {
      record = JSON.parse(await readFile(join(this.#uploadDir(uploadId), 'upload.json'), 'utf8')) as UploadRecord;
    } catch (err) {
      if (hasCode(err, 'ENOENT')) throw errors.notFound('upload');
      throw err;
    }
    // An upload id used with another key is treated as unknown, as S3 does (NoSuchUpload).
    if (record.key !== key) throw errors.notFound('upload');
    return record;
  }

  async #storedParts(uploadId: string, layout: PartLayout | undefined): Promise<Map<number, StoredPart>> {
    const dir = this.#uploadDir(uploadId);
    const parts = new Map<number, StoredPart>();
    for (const name of await readdir(dir)) {
      const record = parsePartName(name);
      if (!record) continue;
      const path = join(dir, name);
      let info: Stats;
      try {
        info = await stat(path);
      } catch (err) {
        if (hasCode(err, 'ENOENT')) continue; // replaced by a concurrent re-upload of the same part
        throw err;
      }
      const { partNumber, sha256Hex } = record;
      const seen = parts.get(partNumber);
      // Between a re-upload's rename and its cleanup both files exist; the newer one wins.
      if (!seen || info.mtimeMs > seen.mtimeMs) {
        // A marker is recorded only for a part of exactly its place's size.
        const size = layout ? layoutRegion(layout, partNumber).length : info.size;
        parts.set(partNumber, { partNumber, etag: quoteEtag(sha256Hex), size, path, mtimeMs: info.mtimeMs });
      }
    }
    return parts;
  }

  async #readRetention(key: string): Promise<Date | undefined> {
    const path = this.#retentionPath(key);
    // Most keys have no record, and every write and delete asks. A synchronous probe answers
    // that in about 2 µs; an async read that fails costs about 100 µs of CPU (a thread-pool
    // round trip and an Error), which thousands of small files add up to seconds.
    if (!existsSync(path)) return undefined;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (hasCode(err, 'ENOENT', 'ENOTDIR')) return undefined;
      throw err;
    }
    const until = new Date((JSON.parse(text) as { retainUntil: string }).retainUntil);
    if (Number.isNaN(until.getTime())) throw new Error(`corrupt retention record for ${key}`);
    return until;
  }

  async #refuseOverwriteWhileRetained(key: string): Promise<void> {
    const retainUntil = await this.#readRetention(key);
    if (retainUntil && retainUntil > this.#now()) {
      throw errors.conflict(`${key} is under retention until ${retainUntil.toISOString()} and cannot be overwritten`, {
        key,
      });
    }
  }

  /** Streams body into a new file in dir (fsync'd before close), hashing as it goes. */
  async #writeTemp(
    dir: string,
    body: Readable | Buffer,
    options: { expectedSha256?: string; hash: boolean; durable?: boolean },
  ): Promise<WrittenTemp> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, `tmp-${randomBytes(12).toString('hex')}`);
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
        createWriteStream(path, { flags: 'wx', flush: options.durable === true, highWaterMark: WRITE_BUFFER }),
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
    const target = this.#objectPath(key);
    const hadRetention = (await this.#readRetention(key)) !== undefined;
    try {
      await this.#refuseOverwriteWhileRetained(key);
      if (retainUntil) {
        await chmod(tempPath, 0o444);
        const sidecar = this.#retentionPath(key);
        await mkdir(dirname(sidecar), { recursive: true });
        const sidecarTemp = `${sidecar}.tmp-${randomBytes(8).toString('hex')}`;
        await writeFile(sidecarTemp, JSON.stringify({ retainUntil: retainUntil.toISOString() }));
        await rename(sidecarTemp, sidecar);
      }
      await this.#renameIntoPlace(tempPath, target, key);
    } catch (err) {
      if (!options.keepSourceOnFailure) await rm(tempPath, { force: true });
      if (retainUntil && !hadRetention) await rm(this.#retentionPath(key), { force: true });
      throw err;
    }
    // An expired retention record must not outlive the object it described.
    if (!retainUntil && hadRetention) await rm(this.#retentionPath(key), { force: true });
  }

  async #renameIntoPlace(tempPath: string, target: string, key: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await mkdir(dirname(target), { recursive: true });
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

  async #removeEmptyParents(dir: string, stopAt: string): Promise<void> {
    while (dir.startsWith(`${stopAt}/`) && dir !== stopAt) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): stop climbing
      }
      dir = dirname(dir);
    }
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
      .filter(
        (e) =>
          (e.isFile() || e.isDirectory()) && !(relDir === '' && (fsInternalDirs as readonly string[]).includes(e.name)),
      )
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

/** fs objects have no stored content hash; size + mtime changes whenever the object is replaced (as nginx does). */
function statEtag(size: number, mtimeMs: number): string {
  return `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
}

export function createFsStorage(role: StorageRole, settings: FsStorageSettings, options?: FsStorageOptions): FsStorage {
  return new FsStorage(role, settings, options);
}
