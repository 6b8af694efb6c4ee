/**
 * PUTs to presigned storage URLs (a part of a multipart upload, or a whole
 * small file), with retries of transient failures and the checksum header
 * where the URL allows it.
 */
import { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import type { MediavaultClient } from './client.ts';
import { headerValue } from './client.ts';
import { errorFromResponse, MediavaultApiError, MediavaultError, MediavaultNetworkError } from './errors.ts';
import { delay } from './polling.ts';

const bodyChunk = 256 * 1024;

/**
 * PUTs bytes (a part, or a whole small file) to a presigned URL; resolves to the
 * ETag. Transient failures (network, 5xx, 408, 429) are retried with backoff; a
 * 403 (the URL expired) gets one fresh URL. `onSent` counts bytes handed to the
 * network, and takes them back (a negative count) when an attempt fails.
 */
export async function putWithRetry(
  client: MediavaultClient,
  bytes: Buffer,
  checksum: string,
  target: { url: string; refresh(): Promise<string> },
  options: { attempts?: number; signal?: AbortSignal; onSent?(bytes: number): void } = {},
): Promise<string> {
  const attempts = Math.max(1, options.attempts ?? 3);
  let url = target.url;
  let refreshed = false;
  for (let attempt = 1; ; attempt++) {
    let sent = 0;
    try {
      return await putPart(client, url, bytes, checksum, options.signal, (n) => {
        sent += n;
        options.onSent?.(n);
      });
    } catch (err) {
      if (sent > 0) options.onSent?.(-sent);
      if (options.signal?.aborted) throw err;
      if (err instanceof MediavaultApiError && err.status === 403 && !refreshed) {
        refreshed = true;
        url = await target.refresh();
        continue;
      }
      const transient =
        err instanceof MediavaultNetworkError ||
        (err instanceof MediavaultApiError && (err.status >= 500 || err.status === 408 || err.status === 429));
      if (!transient || attempt >= attempts) throw err;
      await delay(250 * 2 ** (attempt - 1), options.signal);
    }
  }
}

/**
 * Whether a part PUT to this URL carries x-amz-checksum-sha256. The api's own
 * (fs) storage URLs always take it and verify it. An S3 SigV4 URL takes it only
 * when it was signed with it (X-Amz-SignedHeaders lists it): S3 refuses x-amz-*
 * headers a presigned URL did not sign, and verifies the ones it did.
 */
export function sendsChecksumHeader(url: string): boolean {
  const query = new URL(url).searchParams;
  if (!query.has('X-Amz-Signature')) return true;
  return (query.get('X-Amz-SignedHeaders') ?? '').split(';').includes('x-amz-checksum-sha256');
}

/** One presigned part PUT; resolves to the part's ETag. */
async function putPart(
  client: MediavaultClient,
  url: string,
  bytes: Buffer,
  checksum: string,
  signal: AbortSignal | undefined,
  onSent: (n: number) => void,
): Promise<string> {
  const headers: Record<string, string> = { 'content-length': String(bytes.length) };
  if (sendsChecksumHeader(url)) headers['x-amz-checksum-sha256'] = checksum;
  const body = Readable.from(
    (function* chunks() {
      for (let at = 0; at < bytes.length; at += bodyChunk) {
        const chunk = bytes.subarray(at, at + bodyChunk);
        onSent(chunk.length);
        yield chunk;
      }
    })(),
    { objectMode: false },
  );
  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, { method: 'PUT', headers, body, dispatcher: client.dispatcher, signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError' || signal?.aborted) throw err;
    throw new MediavaultNetworkError(url, err);
  }
  const text = await response.body.text();
  if (response.statusCode >= 300) {
    throw errorFromResponse({
      status: response.statusCode,
      body: text,
      requestId: headerValue(response.headers['x-request-id']) ?? headerValue(response.headers['x-amz-request-id']),
      operation: 'uploadPart',
    });
  }
  const etag = headerValue(response.headers.etag);
  if (!etag)
    throw new MediavaultError(
      'missing_etag',
      'the storage answered a part upload without an ETag (an S3 bucket needs CORS ExposeHeaders: ETag)',
    );
  return etag;
}
