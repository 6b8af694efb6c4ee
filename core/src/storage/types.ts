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

export interface Storage {
  readonly driver: 'fs' | 's3';
  readonly role: StorageRole;

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
   * there (fs): tools like ffmpeg then read it in place instead of a copy.
   */
  localPath?(key: string): string | null;
}
