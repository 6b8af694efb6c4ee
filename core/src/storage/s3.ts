/**
 * The s3 storage driver (Wasabi in production; AWS, MinIO; s3rver in tests).
 *
 * - Clients compute and validate checksums only when an operation requires it: the
 *   SDK's default CRC trailers break Wasabi and other S3-compatible stores, and a
 *   presigned PUT would otherwise carry the checksum of an empty body.
 * - Every write carries Content-MD5 (and x-amz-checksum-sha256 when the caller knows
 *   it), because writes into an Object Lock bucket are refused without one.
 * - Stream bodies of unknown length are never buffered whole: up to one part
 *   (streamPartSizeBytes) is read; a body that fits goes as one PutObject, a larger one
 *   as a multipart upload of fixed-size parts, each with its own Content-MD5. A whole-
 *   object sha256 given by the caller is verified while streaming and a mismatch aborts
 *   the upload before completion, so nothing is written.
 * - Deletes are refused while the object is under retention: on a versioned (Object
 *   Lock) bucket S3 would otherwise "succeed" by adding a delete marker that hides it.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListPartsCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AppError, errors } from '../errors.ts';
import { quoteEtag, unquoteEtag } from './etags.ts';
import { assertCompletionOrder, assertPartNumber, assertPresignExpiry, maxPartNumber } from './rules.ts';
import { mapS3Error } from './s3-errors.ts';
import { fixedSizeChunks, planPartCopyRanges, s3MaxCopyObjectBytes } from './s3-parts.ts';
import type { CopyingStorage, CopyOptions } from './copy.ts';
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

export interface S3StorageSettings {
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  buckets: Record<StorageRole, string>;
  credentials: Record<StorageRole, { accessKeyId: string; secretAccessKey: string }>;
}

export interface S3StorageOptions {
  /** Objects above this are copied with multipart UploadPartCopy. S3's CopyObject limit is 5 GiB. */
  multipartCopyThresholdBytes?: number;
  /** Part size for UploadPartCopy; raised automatically so no copy needs more than 10,000 parts. */
  copyPartSizeBytes?: number;
  /** Part size when a stream body is uploaded as multipart (S3's minimum is 5 MiB, except the last part). */
  streamPartSizeBytes?: number;
  now?: () => Date;
}

export interface S3CopyOptions extends CopyOptions {
  /** A bucket outside the role layout (e.g. a legacy bucket being onboarded); overrides sourceRole. */
  sourceBucket?: string;
}

/**
 * Presigning options that keep x-amz-checksum-sha256 a signed header (not hoisted into the
 * query): the client must send exactly that checksum, and the store verifies the bytes against it.
 */
const signedChecksumHeader = {
  unhoistableHeaders: new Set(['x-amz-checksum-sha256']),
  signableHeaders: new Set(['x-amz-checksum-sha256']),
};

const MiB = 1024 ** 2;
const PART_COPY_CONCURRENCY = 4;

export class S3Storage implements CopyingStorage {
  readonly driver = 's3' as const;
  readonly role: StorageRole;
  readonly capabilities: StorageCapabilities;
  readonly bucket: string;
  /** Exposed so callers (and tests) can observe requests at the SDK boundary via client.middlewareStack. */
  readonly client: S3Client;
  readonly #buckets: Record<StorageRole, string>;
  readonly #multipartCopyThreshold: number;
  readonly #copyPartSize: number;
  readonly #streamPartSize: number;
  readonly #now: () => Date;

  constructor(role: StorageRole, settings: S3StorageSettings, options: S3StorageOptions = {}) {
    const bucket = settings.buckets[role];
    const credentials = settings.credentials[role];
    if (!bucket) throw new Error(`s3 storage: no bucket configured for role ${role}`);
    if (!credentials?.accessKeyId || !credentials.secretAccessKey) {
      throw new Error(`s3 storage: no credentials configured for role ${role}`);
    }
    this.role = role;
    this.bucket = bucket;
    this.#buckets = settings.buckets;
    this.client = new S3Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.#multipartCopyThreshold = options.multipartCopyThresholdBytes ?? s3MaxCopyObjectBytes;
    this.#copyPartSize = options.copyPartSizeBytes ?? 512 * MiB;
    this.#streamPartSize = options.streamPartSizeBytes ?? 8 * MiB;
    this.#now = options.now ?? (() => new Date());
    if (this.#multipartCopyThreshold > s3MaxCopyObjectBytes) {
      throw new Error(`multipartCopyThresholdBytes cannot exceed ${s3MaxCopyObjectBytes} (the CopyObject limit)`);
    }
    this.capabilities = {
      partChecksums: 'when-upload-declares',
      signedPutProvesSha256: false,
      presignedUrlsServedBy: 'store',
      // CopyObject names the source bucket: every bucket of one endpoint is in reach.
      copy: {
        scope: `s3:${settings.endpoint ?? `aws/${settings.region}`}`,
        multipartAboveBytes: this.#multipartCopyThreshold,
      },
      retention: 'object-lock',
      localPaths: false,
    };
  }

  // ---- objects -------------------------------------------------------------------------------

  async put(key: string, body: Readable | Buffer, options: PutOptions = {}): Promise<void> {
    assertKey(key);
    if (Buffer.isBuffer(body)) return this.#putBuffer(key, body, options);
    return this.#putStream(key, body, options);
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertKey(key);
    if (
      range &&
      (!Number.isSafeInteger(range.start) ||
        !Number.isSafeInteger(range.end) ||
        range.start < 0 ||
        range.end < range.start)
    ) {
      throw new AppError('range_not_satisfiable', `invalid range ${range.start}-${range.end}`);
    }
    const out = await this.#send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
      }),
    );
    return out.Body as Readable;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        key,
        size: out.ContentLength ?? 0,
        ...(out.ETag ? { etag: out.ETag } : {}),
        ...(out.LastModified ? { lastModified: out.LastModified } : {}),
        ...(out.ObjectLockRetainUntilDate ? { retainUntil: out.ObjectLockRetainUntilDate } : {}),
      };
    } catch (err) {
      if (err instanceof S3ServiceException && (err.name === 'NotFound' || err.name === 'NoSuchKey')) return null;
      throw mapS3Error(err);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.client },
        { Bucket: this.bucket, Prefix: prefix },
      )) {
        for (const o of page.Contents ?? []) {
          if (o.Key === undefined) continue;
          yield {
            key: o.Key,
            size: o.Size ?? 0,
            ...(o.ETag ? { etag: o.ETag } : {}),
            ...(o.LastModified ? { lastModified: o.LastModified } : {}),
          };
        }
      }
    } catch (err) {
      throw mapS3Error(err);
    }
  }

  async delete(key: string): Promise<void> {
    const info = await this.head(key);
    if (!info) return; // idempotent, as DeleteObject itself is
    if (info.retainUntil && info.retainUntil > this.#now()) {
      throw errors.forbidden(`${key} is under retention until ${info.retainUntil.toISOString()} and cannot be deleted`);
    }
    await this.#send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    assertKey(key);
    assertPresignExpiry(expiresInSeconds);
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }

  async presignPut(key: string, expiresInSeconds: number, options: { checksumSha256: string }): Promise<string> {
    assertKey(key);
    assertPresignExpiry(expiresInSeconds);
    const checksum = options.checksumSha256;
    if (!checksum) throw errors.badRequest("a presigned whole-object PUT needs the body's checksumSha256");
    return getSignedUrl(
      this.client,
      new PutObjectCommand({ Bucket: this.bucket, Key: key, ChecksumSHA256: checksum }),
      { expiresIn: expiresInSeconds, ...signedChecksumHeader },
    );
  }

  /**
   * Server-side copy into this storage's bucket (e.g. staging → masters on promotion):
   * CopyObject up to the threshold, multipart UploadPartCopy above it. Either way the
   * copy is pinned to the source ETag, so bytes replaced after verification are not copied.
   */
  async copyObject(sourceKey: string, destKey: string, options: S3CopyOptions = {}): Promise<void> {
    assertKey(sourceKey);
    assertKey(destKey);
    const sourceBucket = options.sourceBucket ?? (options.sourceRole ? this.#buckets[options.sourceRole] : this.bucket);
    let source: HeadObjectCommandOutput;
    try {
      source = await this.client.send(new HeadObjectCommand({ Bucket: sourceBucket, Key: sourceKey }));
    } catch (err) {
      if (err instanceof S3ServiceException && (err.name === 'NotFound' || err.name === 'NoSuchKey'))
        throw errors.notFound('copy source');
      throw mapS3Error(err);
    }
    const sourceEtag = options.sourceEtag ?? source.ETag;
    if (options.sourceEtag && source.ETag && unquoteEtag(options.sourceEtag) !== unquoteEtag(source.ETag)) {
      throw new AppError(
        'precondition_failed',
        `copy source ${sourceKey} changed since it was verified (ETag ${source.ETag})`,
      );
    }
    const copySource = `${sourceBucket}/${encodeKeyForCopySource(sourceKey)}`;
    const size = source.ContentLength ?? 0;
    const contentType = options.contentType ?? source.ContentType;
    const lock = lockParams(options.retainUntil);
    // Writes under Object Lock must carry an integrity checksum; for a copy, S3 computes it itself when asked.
    const checksum = options.retainUntil ? { ChecksumAlgorithm: 'SHA256' as const } : {};

    if (size <= this.#multipartCopyThreshold) {
      await this.#send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: destKey,
          CopySource: copySource,
          ...(sourceEtag ? { CopySourceIfMatch: sourceEtag } : {}),
          ...(options.contentType ? { MetadataDirective: 'REPLACE', ContentType: options.contentType } : {}),
          ...lock,
          ...checksum,
        }),
      );
      return;
    }

    const { UploadId } = await this.#send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: destKey,
        ...(contentType ? { ContentType: contentType } : {}),
        ...lock,
        ...checksum,
      }),
    );
    if (!UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
    try {
      const ranges = planPartCopyRanges(size, this.#copyPartSize);
      const parts: CompletedPart[] = new Array(ranges.length);
      let nextRange = 0;
      const worker = async () => {
        while (nextRange < ranges.length) {
          const r = ranges[nextRange++]!;
          const out = await this.#send(
            new UploadPartCopyCommand({
              Bucket: this.bucket,
              Key: destKey,
              UploadId,
              PartNumber: r.partNumber,
              CopySource: copySource,
              CopySourceRange: `bytes=${r.start}-${r.end}`,
              ...(sourceEtag ? { CopySourceIfMatch: sourceEtag } : {}),
            }),
          );
          const partChecksum = out.CopyPartResult?.ChecksumSHA256;
          parts[r.partNumber - 1] = {
            PartNumber: r.partNumber,
            ETag: out.CopyPartResult?.ETag,
            ...(partChecksum ? { ChecksumSHA256: partChecksum } : {}),
          };
        }
      };
      await Promise.all(Array.from({ length: Math.min(PART_COPY_CONCURRENCY, ranges.length) }, worker));
      await this.#send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: destKey,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (err) {
      await this.#abortQuietly(destKey, UploadId);
      throw err;
    }
  }

  // ---- multipart -----------------------------------------------------------------------------

  /** options.layout is for drivers that place parts themselves; S3 assembles in the store and ignores it. */
  async createMultipartUpload(key: string, options: MultipartOptions = {}): Promise<{ uploadId: string }> {
    assertKey(key);
    const out = await this.#send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        ...(options.contentType ? { ContentType: options.contentType } : {}),
        ...(options.checksumAlgorithm ? { ChecksumAlgorithm: options.checksumAlgorithm } : {}),
      }),
    );
    if (!out.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
    return { uploadId: out.UploadId };
  }

  async presignUploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    expiresInSeconds: number,
    options: { checksumSha256?: string } = {},
  ): Promise<string> {
    assertKey(key);
    assertPartNumber(partNumber);
    assertPresignExpiry(expiresInSeconds);
    const checksum = options.checksumSha256;
    return getSignedUrl(
      this.client,
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: partNumber,
        ...(checksum ? { ChecksumSHA256: checksum } : {}),
      }),
      { expiresIn: expiresInSeconds, ...(checksum ? signedChecksumHeader : {}) },
    );
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    assertKey(key);
    const parts: UploadedPart[] = [];
    let marker: string | undefined;
    for (;;) {
      const out = await this.#send(
        new ListPartsCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId: uploadId,
          ...(marker ? { PartNumberMarker: marker } : {}),
        }),
      );
      for (const p of out.Parts ?? []) {
        if (p.PartNumber === undefined || !p.ETag) continue;
        parts.push({
          partNumber: p.PartNumber,
          etag: p.ETag,
          size: p.Size ?? 0,
          ...(p.ChecksumSHA256 ? { checksumSha256: p.ChecksumSHA256 } : {}),
        });
      }
      if (!out.IsTruncated || !out.NextPartNumberMarker) break;
      marker = out.NextPartNumberMarker;
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipartUpload(
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string; checksumSha256?: string }[],
  ): Promise<AssembledObject> {
    assertKey(key);
    assertCompletionOrder(parts);
    const out = await this.#send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: parts.map((p) => ({
            PartNumber: p.partNumber,
            ETag: quoteEtag(p.etag),
            ...(p.checksumSha256 ? { ChecksumSHA256: p.checksumSha256 } : {}),
          })),
        },
      }),
    );
    // The store assembled the parts without this process seeing the bytes: no sha256 to offer.
    return out.ETag ? { etag: out.ETag } : {};
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    assertKey(key);
    await this.#send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
  }

  // ---- internals -----------------------------------------------------------------------------

  /** client.send with S3 errors turned into AppErrors where they mean something to a caller. */
  readonly #send = ((command: Parameters<S3Client['send']>[0]) =>
    this.client.send(command).catch((err: unknown) => {
      throw mapS3Error(err);
    })) as S3Client['send'];

  async #putBuffer(key: string, body: Buffer, options: PutOptions): Promise<void> {
    // S3 verifies x-amz-checksum-sha256 itself; checking first also holds on stores that ignore it.
    if (options.checksumSha256) assertSha256(body, options.checksumSha256);
    await this.#send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentLength: body.length,
        ContentMD5: createHash('md5').update(body).digest('base64'),
        ...(options.checksumSha256 ? { ChecksumSHA256: options.checksumSha256 } : {}),
        ...(options.contentType ? { ContentType: options.contentType } : {}),
        ...(options.cacheControl ? { CacheControl: options.cacheControl } : {}),
        ...lockParams(options.retainUntil),
      }),
    );
  }

  async #putStream(key: string, body: Readable, options: PutOptions): Promise<void> {
    const chunks = fixedSizeChunks(body, this.#streamPartSize)[Symbol.asyncIterator]();
    let current = await chunks.next();
    let following = current.done ? current : await chunks.next();
    if (following.done) {
      // Fits in one part: a single PutObject, whose checksum S3 verifies itself.
      return this.#putBuffer(key, current.done ? Buffer.alloc(0) : current.value, options);
    }

    const { UploadId } = await this.#send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        ...(options.contentType ? { ContentType: options.contentType } : {}),
        ...(options.cacheControl ? { CacheControl: options.cacheControl } : {}),
        ...lockParams(options.retainUntil),
      }),
    );
    if (!UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
    try {
      const whole = createHash('sha256');
      const parts: CompletedPart[] = [];
      while (!current.done) {
        const part = current.value;
        const partNumber = parts.length + 1;
        if (partNumber > maxPartNumber)
          throw errors.payloadTooLarge(`body needs more than ${maxPartNumber} parts of ${this.#streamPartSize} bytes`);
        whole.update(part);
        const out = await this.#send(
          new UploadPartCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId,
            PartNumber: partNumber,
            Body: part,
            ContentLength: part.length,
            ContentMD5: createHash('md5').update(part).digest('base64'),
          }),
        );
        parts.push({ PartNumber: partNumber, ETag: out.ETag });
        current = following;
        following = current.done ? current : await chunks.next();
      }
      if (options.checksumSha256) assertSha256(whole, options.checksumSha256);
      await this.#send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (err) {
      await this.#abortQuietly(key, UploadId);
      throw err;
    }
  }

  async #abortQuietly(key: string, uploadId: string): Promise<void> {
    // The original failure is what the caller needs; a failed abort leaves an upload a lifecycle rule cleans up.
    await this.client
      .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }))
      .catch(() => {});
  }
}

function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw errors.badRequest('storage key is empty');
  if (Buffer.byteLength(key) > 1024) throw errors.badRequest('storage key is longer than 1024 bytes', { key });
}

/** Throws checksum_mismatch unless the body (or a hash already fed with it) has the given base64 sha256. */
function assertSha256(body: Buffer | Hash, expectedBase64: string): void {
  const actual = (Buffer.isBuffer(body) ? createHash('sha256').update(body) : body).digest('base64');
  if (!Buffer.from(expectedBase64, 'base64').equals(Buffer.from(actual, 'base64'))) {
    throw errors.checksumMismatch('the body does not match the given sha256 checksum; nothing was stored', {
      expected: expectedBase64,
      actual,
    });
  }
}

function lockParams(retainUntil: Date | undefined) {
  return retainUntil ? { ObjectLockMode: 'GOVERNANCE' as const, ObjectLockRetainUntilDate: retainUntil } : {};
}

/** x-amz-copy-source is `bucket/key` with the key URL-encoded, slashes kept. */
export function encodeKeyForCopySource(key: string): string {
  return encodeURIComponent(key).replace(/%2F/g, '/');
}

export function createS3Storage(role: StorageRole, settings: S3StorageSettings, options?: S3StorageOptions): S3Storage {
  return new S3Storage(role, settings, options);
}
