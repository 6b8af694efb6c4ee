import type { Readable } from 'node:stream';

/** The storage roles of the design, each with its own bucket (s3) or root (fs) and credentials. */
export const storageRoles = ['staging', 'masters', 'previews', 'docs', 'backups'] as const;
export type StorageRole = (typeof storageRoles)[number];

export interface ObjectInfo {
  key: string;
  size: number;
  etag?: string;
  lastModified?: Date;
  /** Object Lock retain-until (s3) or the recorded retain-until (fs). */
  retainUntil?: Date;
}

export interface PutOptions {
  contentType?: string;
  /** Base64 sha256 of the body; the store verifies it. */
  checksumSha256?: string;
  /** Write under Object Lock (GOVERNANCE) until this date; fs makes the file read-only and records it. */
  retainUntil?: Date;
  cacheControl?: string;
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
  size: number;
  /** Base64 sha256 the store verified for this part, when the upload checks part checksums. */
  checksumSha256?: string;
}

export interface AssembledObject {
  /** Hex sha256 of the assembled bytes, when the driver read them to assemble. */
  sha256?: string;
  etag?: string;
}

/** A part to assemble; the checksum is required by stores whose upload was created with one. */
export interface MultipartOptions {
  contentType?: string;
  checksumAlgorithm?: 'SHA256';
  /**
   * The object's size and the size of every part but the last, when the caller fixes
   * them up front (the api does). A driver that assembles parts itself (fs) can then
   * write each part in place and complete without copying; such a driver refuses a
   * part of another size. S3 ignores it.
   */
  layout?: { size: number; partSize: number };
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
  checksumSha256?: string;
}

export interface ByteRange {
  start: number;
  /** inclusive */
  end: number;
}

/**
 * What a store can do. Callers ask for a capability here instead of testing `driver`, which
 * stays an identity (logs, configuration). Fixed for a store's lifetime: plain data, no I/O.
 */
export interface StorageCapabilities {
  /**
   * Which part checksums the store verifies as each part arrives (presignUploadPart's
   * checksumSha256, or the x-amz-checksum-sha256 header of the part PUT):
   * - 'when-upload-declares': only in an upload created with checksumAlgorithm SHA256, whose
   *   completion must then list every part's checksum (s3: S3 ignores them otherwise);
   * - 'when-signed-or-sent': whenever a part's URL is signed for one or its PUT sends one,
   *   whatever the upload was created with (fs).
   */
  readonly partChecksums: 'when-upload-declares' | 'when-signed-or-sent';
  /**
   * True when a presigned whole-object PUT (presignPut) that succeeded proves the stored bytes'
   * sha256: this process hashed every byte and refused any that differ from the signed sha256
   * (fs), so for as long as the object keeps the ETag head() then reports, its sha256 is the
   * signed one. False where a remote store took the bytes (s3: not every S3-compatible store
   * verifies x-amz-checksum-sha256), so whoever needs the sha256 reads and hashes the object.
   */
  readonly signedPutProvesSha256: boolean;
  /**
   * Who answers this store's presigned URLs: the object store itself (s3), or the api's own
   * `/storage/*` endpoint (fs: fs-presigned.ts), which must then be mounted.
   */
  readonly presignedUrlsServedBy: 'store' | 'api';
  /**
   * Server-side copy into this store (copyObject of CopyingStorage, copy.ts): the bytes never
   * pass through this process. null for a store that cannot; the caller then streams get → put.
   */
  readonly copy: {
    /**
     * Stores of one scope reach each other's objects, so a copy from another role's store is
     * server-side only when both have the same scope. fs: the storage root (a hard link when
     * both roles are on one file system, else a file copy); s3: the endpoint of the buckets.
     */
    readonly scope: string;
    /**
     * Objects above this many bytes are copied part by part (s3: UploadPartCopy, as CopyObject
     * stops at 5 GiB); null when one operation copies any size (fs).
     */
    readonly multipartAboveBytes: number | null;
  } | null;
  /**
   * How a write with retainUntil is kept until then; either way head() reports retainUntil and
   * delete and overwrite are refused before it.
   * - 'object-lock': S3 Object Lock in GOVERNANCE mode, kept by the store itself;
   * - 'read-only-file': the file is made read-only (0440 by default) and retain-until is recorded beside it.
   */
  readonly retention: 'object-lock' | 'read-only-file';
  /**
   * localPath(key) answers where the object is on this machine (fs), so a tool such as ffmpeg
   * reads it in place instead of a downloaded copy.
   */
  readonly localPaths: boolean;
}

export interface Storage {
  /** Which driver this is: for logs and configuration; behaviour asks `capabilities`. */
  readonly driver: 'fs' | 's3';
  readonly role: StorageRole;
  readonly capabilities: StorageCapabilities;

  put(key: string, body: Readable | Buffer, options?: PutOptions): Promise<void>;
  /** Throws AppError not_found when the key does not exist. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  head(key: string): Promise<ObjectInfo | null>;
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Refused (AppError forbidden) while the object is under retention. */
  delete(key: string): Promise<void>;

  /**
   * With checksumAlgorithm SHA256 every part must carry its sha256 (presignUploadPart's
   * checksumSha256) and the store verifies each one as it arrives.
   */
  createMultipartUpload(key: string, options?: MultipartOptions): Promise<{ uploadId: string }>;
  /**
   * A URL the client PUTs one part to, valid for expiresInSeconds. With checksumSha256
   * (base64) the URL is signed for that checksum: the client sends it as the
   * x-amz-checksum-sha256 header and the store refuses a part whose bytes differ.
   */
  presignUploadPart(
    key: string,
    uploadId: string,
    partNumber: number,
    expiresInSeconds: number,
    options?: { checksumSha256?: string },
  ): Promise<string>;
  listParts(key: string, uploadId: string): Promise<UploadedPart[]>;
  /**
   * Assembles the parts. A driver that reads every byte to do so (fs) hashes them on the
   * way and returns the sha256 and ETag of the assembled object; S3 assembles in the store.
   */
  completeMultipartUpload(key: string, uploadId: string, parts: CompletedPart[]): Promise<AssembledObject>;
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;
  /**
   * A URL the client PUTs a whole object to in one request (no multipart), valid for
   * expiresInSeconds and signed for the object's base64 sha256: the client sends it as
   * x-amz-checksum-sha256 and the store refuses bytes that differ. For small files,
   * where one request instead of three (create, part, complete) is most of the cost.
   */
  presignPut(key: string, expiresInSeconds: number, options: { checksumSha256: string }): Promise<string>;
  /** A URL that GETs the object, valid for expiresInSeconds. */
  presignGet(key: string, expiresInSeconds: number): Promise<string>;
  /**
   * Where the object is on this machine's file system, when the driver keeps it
   * there (fs, capabilities.localPaths): tools like ffmpeg then read it in place instead of a copy.
   */
  localPath?(key: string): string | null;
}
