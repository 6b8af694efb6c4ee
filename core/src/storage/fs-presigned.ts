/**
 * The endpoint behind the fs driver's presigned URLs, framework-free so the api
 * (and tests) can mount it on `/storage/*` with whatever server they use:
 *   PUT  ?uploadId&partNumber&expires&signature  → stores one multipart part, 200 + quoted ETag
 *   PUT  ?checksumSha256&expires&signature       → stores a whole object verified against the signed
 *                                                  checksum, 200 + the ETag head() then reports
 *   GET  ?expires&signature (HEAD too)            → the object, with single-range Range support
 * The URL's own shape decides the method it was signed for: a request with any
 * other method gets 405, a bad signature 403, an expired one 403 with its own message.
 */
import type { Readable } from 'node:stream';
import parseRange from 'range-parser';
import { AppError, errors, isAppError } from '../errors.ts';
import { FsStorage } from './fs.ts';
import { isWholeObjectPut, parseFsPresignedUrl } from './fs-url-signing.ts';
import type { Storage, StorageRole } from './types.ts';

export interface FsPresignedRequest {
  storages: Partial<Record<StorageRole, Storage>>;
  method: string;
  /** path + query as received */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

export interface FsPresignedResponse {
  status: number;
  headers: Record<string, string>;
  body?: Readable | string;
}

function errorResponse(
  err: AppError,
  extraHeaders: Record<string, string> = {},
  status = err.status,
): FsPresignedResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...extraHeaders },
    body: JSON.stringify({ error: { code: err.code, message: err.message } }),
  };
}

function header(headers: FsPresignedRequest['headers'], name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export async function handleFsPresignedRequest(input: FsPresignedRequest): Promise<FsPresignedResponse> {
  try {
    return await handle(input);
  } catch (err) {
    if (isAppError(err)) return errorResponse(err);
    throw err;
  }
}

async function handle(input: FsPresignedRequest): Promise<FsPresignedResponse> {
  const parsed = parseFsPresignedUrl(input.url);
  if (!parsed.ok) return errorResponse(errors.forbidden(`not a valid presigned storage URL: ${parsed.reason}`));
  const { fields, signature } = parsed.value;

  const method = input.method.toUpperCase();
  const allowed = fields.method === 'PUT' ? ['PUT'] : ['GET', 'HEAD'];
  if (!allowed.includes(method)) {
    // errors.ts has no method_not_allowed code: the body says bad_request, the status says 405.
    return errorResponse(
      errors.badRequest(`this URL is presigned for ${fields.method}, not ${method}`),
      { allow: allowed.join(', ') },
      405,
    );
  }

  const storage = input.storages[fields.role];
  if (!(storage instanceof FsStorage)) throw errors.notFound(`fs storage for role ${fields.role}`);

  const check = storage.checkPresignedSignature(fields, signature);
  if (!check.ok) {
    throw errors.forbidden(
      check.reason === 'expired'
        ? `this presigned URL expired at ${new Date(fields.expires * 1000).toISOString()}`
        : 'the presigned URL signature does not match (the URL was altered or signed with another key)',
    );
  }

  if (isWholeObjectPut(fields)) {
    const signed = fields.checksumSha256!;
    const sent = header(input.headers, 'x-amz-checksum-sha256');
    if (sent !== undefined && sent !== signed) {
      throw errors.checksumMismatch(
        'the x-amz-checksum-sha256 header differs from the checksum this URL was presigned for; nothing was stored',
      );
    }
    // Verified against the signed checksum even if the header went missing on the way.
    const written = await storage.writeObject(fields.key, input.body, { checksumSha256: signed });
    return { status: 200, headers: { etag: written.etag }, body: '' };
  }

  if (fields.method === 'PUT') {
    const sent = header(input.headers, 'x-amz-checksum-sha256');
    if (fields.checksumSha256 && sent && sent !== fields.checksumSha256) {
      throw errors.checksumMismatch(
        'the x-amz-checksum-sha256 header differs from the checksum this URL was presigned for',
      );
    }
    // A URL presigned for a checksum is verified against it even if the header went missing on the way.
    const checksumSha256 = fields.checksumSha256 ?? sent;
    // The declared length lets an upload with a fixed part size refuse a wrong-size part before a byte is written.
    const contentLength = Number(header(input.headers, 'content-length') ?? Number.NaN);
    const part = await storage.writeUploadPart(fields.key, fields.uploadId, fields.partNumber, input.body, {
      ...(checksumSha256 ? { checksumSha256 } : {}),
      ...(Number.isSafeInteger(contentLength) ? { contentLength } : {}),
    });
    return { status: 200, headers: { etag: part.etag }, body: '' };
  }

  const info = await storage.head(fields.key);
  if (!info) throw errors.notFound('object');
  const common: Record<string, string> = {
    'accept-ranges': 'bytes',
    'content-type': 'application/octet-stream',
    ...(info.etag ? { etag: info.etag } : {}),
    ...(info.lastModified ? { 'last-modified': info.lastModified.toUTCString() } : {}),
  };
  const rangeHeader = header(input.headers, 'range');
  const ranges = rangeHeader ? parseRange(info.size, rangeHeader, { combine: true }) : -2;
  if (ranges === -1) {
    return errorResponse(
      new AppError('range_not_satisfiable', `range ${rangeHeader} is outside the object (${info.size} bytes)`),
      {
        'content-range': `bytes */${info.size}`,
      },
    );
  }
  // No Range, a malformed one, or several ranges: the whole object (RFC 9110 allows ignoring Range).
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) {
    return {
      status: 200,
      headers: { ...common, 'content-length': String(info.size) },
      ...(method === 'HEAD' ? {} : { body: await storage.get(fields.key) }),
    };
  }
  const { start, end } = ranges[0]!;
  return {
    status: 206,
    headers: {
      ...common,
      'content-length': String(end - start + 1),
      'content-range': `bytes ${start}-${end}/${info.size}`,
    },
    ...(method === 'HEAD' ? {} : { body: await storage.get(fields.key, { start, end }) }),
  };
}
