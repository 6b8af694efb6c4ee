import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import type { MediavaultClient } from './client.ts';
import { headerValue } from './client.ts';
import { errorFromResponse, MediavaultApiError, MediavaultError, MediavaultNetworkError } from './errors.ts';
import { delay } from './polling.ts';

export interface UploadProgress {
  path: string;
  name: string;
  totalBytes: number;
  /** Bytes handed to the network so far (a retried part counts once). */
  bytesSent: number;
  partsDone: number;
  partCount: number;
}

export interface UploadFileOptions {
  path: string;
  projectId: string;
  /** Asset file name as the api records it; default: the file's base name. */
  name?: string;
  contentType?: string;
  /** Parts in flight at once (default 4); also bounds the parts held in memory. */
  concurrency?: number;
  /** Preferred part size in bytes (≥ 5 MiB); the api may choose a larger one for big files. */
  partSize?: number;
  /**
   * The file's sha256 when the caller already knows it: presign then answers
   * "duplicate" for bytes already in masters and nothing is sent. The bytes read
   * are still hashed and must match, or the upload is not completed.
   */
  sha256?: string;
  /** Attempts per part on network errors and 5xx answers (default 3). */
  partAttempts?: number;
  signal?: AbortSignal;
  onProgress?: (progress: UploadProgress) => void;
}

export type UploadFileResult =
  | { status: 'uploaded'; uploadId: string; sha256: string; size: number; name: string; stagingKey: string; partCount: number; bytesSent: number }
  | { status: 'duplicate'; uploadId: null; sha256: string; size: number; name: string; assetId: string; versionId: string; bytesSent: 0 };

/** Parts in memory are capped at this many bytes however large the api's part size. */
const memoryBudget = 256 * 1024 ** 2;
const urlsPerRequest = 1000;
const bodyChunk = 256 * 1024;

/**
 * Uploads one file into staging through presigned multipart URLs, reading it
 * once: each part is read in order, fed into the whole-file sha256 and sent
 * while the next parts are read, at most `concurrency` parts in flight (and in
 * memory). The returned sha256 is what promote needs.
 */
export async function uploadFile(client: MediavaultClient, options: UploadFileOptions): Promise<UploadFileResult> {
  const name = options.name ?? basename(options.path);
  const file = await open(options.path, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new MediavaultError(err.code === 'ENOENT' ? 'file_not_found' : 'file_unreadable', `cannot read ${options.path}: ${err.message}`, { cause: err });
  });
  try {
    const stat = await file.stat();
    if (!stat.isFile()) throw new MediavaultError('not_a_file', `${options.path} is not a regular file`);
    const size = stat.size;
    const presigned = await client.presignUpload(
      { body: { name, size, projectId: options.projectId, contentType: options.contentType, sha256: options.sha256, partSize: options.partSize } },
      { signal: options.signal },
    );
    if (presigned.status === 'duplicate') {
      return { status: 'duplicate', uploadId: null, sha256: presigned.sha256, size, name, assetId: presigned.assetId, versionId: presigned.versionId, bytesSent: 0 };
    }
    const { uploadId, partSize, partCount } = presigned;
    const urls = new Map(presigned.parts.map((p) => [p.partNumber, p.url]));
    const progress: UploadProgress = { path: options.path, name, totalBytes: size, bytesSent: 0, partsDone: 0, partCount };
    const report = () => options.onProgress?.({ ...progress });
    report();

    const urlFor = async (partNumber: number, fresh = false): Promise<string> => {
      const known = urls.get(partNumber);
      if (known && !fresh) return known;
      const numbers = fresh ? [partNumber] : range(partNumber, Math.min(partNumber + urlsPerRequest - 1, partCount));
      const more = await client.presignUploadParts({ params: { uploadId }, body: { partNumbers: numbers } }, { signal: options.signal });
      for (const p of more.parts) urls.set(p.partNumber, p.url);
      const url = urls.get(partNumber);
      if (!url) throw new MediavaultError('missing_part_url', `the api returned no URL for part ${partNumber} of upload ${uploadId}`);
      return url;
    };

    const sendPart = async (partNumber: number, firstUrl: string, bytes: Buffer): Promise<string> => {
      const attempts = Math.max(1, options.partAttempts ?? 3);
      const checksum = createHash('sha256').update(bytes).digest('base64');
      let url = firstUrl;
      let refreshed = false;
      for (let attempt = 1; ; attempt++) {
        let sent = 0;
        try {
          return await putPart(client, url, bytes, checksum, options.signal, (n) => {
            sent += n;
            progress.bytesSent += n;
            report();
          });
        } catch (err) {
          progress.bytesSent -= sent;
          if (options.signal?.aborted) throw err;
          // An expired or refused URL gets one fresh URL; transient failures are retried with backoff.
          if (err instanceof MediavaultApiError && err.status === 403 && !refreshed) {
            refreshed = true;
            url = await urlFor(partNumber, true);
            continue;
          }
          const transient = err instanceof MediavaultNetworkError || (err instanceof MediavaultApiError && (err.status >= 500 || err.status === 408 || err.status === 429));
          if (!transient || attempt >= attempts) throw err;
          await delay(250 * 2 ** (attempt - 1), options.signal);
        }
      }
    };

    const concurrency = Math.max(1, Math.min(options.concurrency ?? 4, Math.floor(memoryBudget / partSize) || 1));
    const wholeFile = createHash('sha256');
    const completed: { partNumber: number; etag: string }[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: unknown = null;
    for (let partNumber = 1; partNumber <= partCount && !failure; partNumber++) {
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      if (failure) break;
      options.signal?.throwIfAborted();
      const offset = (partNumber - 1) * partSize;
      const bytes = await readExactly(file, offset, Math.min(partSize, size - offset), options.path);
      wholeFile.update(bytes);
      // Asked here, in part order, so one presignUploadParts call covers the next parts.
      const url = await urlFor(partNumber);
      const sending: Promise<void> = sendPart(partNumber, url, bytes)
        .then((etag) => {
          completed.push({ partNumber, etag });
          progress.partsDone++;
          report();
        }, (err: unknown) => {
          failure ??= err;
        })
        .finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    }
    await Promise.all(inFlight);
    if (failure) throw failure;
    if ((await file.stat()).size !== size) throw new MediavaultError('file_changed', `${options.path} changed size while it was uploaded; upload it again`);

    const sha256 = wholeFile.digest('hex');
    if (options.sha256 && options.sha256 !== sha256) {
      throw new MediavaultError('checksum_mismatch', `${options.path} has sha256 ${sha256}, not the expected ${options.sha256}; the upload was not completed`, { details: { expected: options.sha256, actual: sha256 } });
    }
    completed.sort((a, b) => a.partNumber - b.partNumber);
    const done = await client.completeUpload({ params: { uploadId }, body: { parts: completed } }, { signal: options.signal });
    return { status: 'uploaded', uploadId, sha256, size, name, stagingKey: done.stagingKey, partCount, bytesSent: progress.bytesSent };
  } finally {
    await file.close();
  }
}

/**
 * One presigned part PUT; resolves to the part's ETag. The part's sha256 goes
 * along as x-amz-checksum-sha256 only to the api's own storage URLs: an S3 SigV4
 * presigned URL refuses x-amz-* headers it did not sign.
 */
async function putPart(client: MediavaultClient, url: string, bytes: Buffer, checksum: string, signal: AbortSignal | undefined, onSent: (n: number) => void): Promise<string> {
  const headers: Record<string, string> = { 'content-length': String(bytes.length) };
  if (!new URL(url).searchParams.has('X-Amz-Signature')) headers['x-amz-checksum-sha256'] = checksum;
  const body = Readable.from((function* chunks() {
    for (let at = 0; at < bytes.length; at += bodyChunk) {
      const chunk = bytes.subarray(at, at + bodyChunk);
      onSent(chunk.length);
      yield chunk;
    }
  })(), { objectMode: false });
  let response;
  try {
    response = await request(url, { method: 'PUT', headers, body, dispatcher: client.dispatcher, signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError' || signal?.aborted) throw err;
    throw new MediavaultNetworkError(url, err);
  }
  const text = await response.body.text();
  if (response.statusCode >= 300) {
    throw errorFromResponse({ status: response.statusCode, body: text, requestId: headerValue(response.headers['x-request-id']) ?? headerValue(response.headers['x-amz-request-id']), operation: 'uploadPart' });
  }
  const etag = headerValue(response.headers.etag);
  if (!etag) throw new MediavaultError('missing_etag', 'the storage answered a part upload without an ETag (an S3 bucket needs CORS ExposeHeaders: ETag)');
  return etag;
}

async function readExactly(file: FileHandle, position: number, length: number, path: string): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new MediavaultError('file_changed', `${path} became shorter while it was uploaded; upload it again`);
    filled += bytesRead;
  }
  return buffer;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/**
 * sha256 of a file, streamed. For callers who prefer reading a file twice to
 * sending bytes the platform already has: pass the result as uploadFile's `sha256`.
 */
export async function hashFile(path: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of createReadStream(path, { signal, highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES') throw new MediavaultError(code === 'ENOENT' ? 'file_not_found' : 'file_unreadable', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
    throw err;
  }
  return { sha256: hash.digest('hex'), size };
}
