/**
 * Presigned URLs of the fs driver. They point at the api's own `/storage/*`
 * endpoints (see fs-presigned.ts) and carry an HMAC-SHA256 over everything that
 * decides what the URL may do: method, role, key, upload id, part number and
 * expiry. Changing any of them, or the expiry, breaks the signature.
 *
 * URL shape: `${publicUrl}/storage/<role>/<key segments, each percent-encoded>`
 *            `?uploadId=…&partNumber=…&checksumSha256=…&expires=<unix seconds>&signature=<base64url>`
 * Three kinds, told apart by their query:
 *   part PUT          uploadId + partNumber (checksumSha256 when presigned for one)
 *   whole-object PUT  checksumSha256 without uploadId (the checksum is required: it is what
 *                     makes a one-request PUT safe, and it marks the URL as a PUT)
 *   GET               neither
 * Pure: no clock, no I/O.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { storageRoles, type StorageRole } from './types.ts';

export type FsPresignedMethod = 'GET' | 'PUT';

export interface FsSignedFields {
  method: FsPresignedMethod;
  role: StorageRole;
  key: string;
  /** Empty for presigned GETs and whole-object PUTs. */
  uploadId: string;
  /** 0 for presigned GETs and whole-object PUTs. */
  partNumber: number;
  /** unix seconds */
  expires: number;
  /**
   * Base64 sha256 the body must have: optional for a part, required for a whole-object
   * PUT (a PUT without uploadId), absent for a GET.
   */
  checksumSha256?: string;
}

/** A PUT of a whole object in one request, as opposed to one part of a multipart upload. */
export function isWholeObjectPut(fields: FsSignedFields): boolean {
  return fields.method === 'PUT' && !fields.uploadId;
}

export type FsSignatureCheck = { ok: true } | { ok: false; reason: 'bad_signature' | 'expired' };

const SIGNATURE_VERSION = 'mediavault-fs-presign-v1';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The signed string. Fields are newline-separated; keys cannot contain control
 * characters (see fs-keys.ts), so no two field sets produce the same string.
 */
export function fsStringToSign(fields: FsSignedFields): string {
  return [
    SIGNATURE_VERSION,
    fields.method,
    fields.role,
    fields.key,
    fields.uploadId,
    String(fields.partNumber),
    String(fields.expires),
    // Only URLs presigned for a checksum sign one more line, so older URLs keep verifying.
    ...(fields.checksumSha256 ? [fields.checksumSha256] : []),
  ].join('\n');
}

export function signFsRequest(fields: FsSignedFields, signingKey: string): string {
  if (!signingKey) throw new Error('fs storage needs a non-empty signingKey to presign URLs');
  return createHmac('sha256', signingKey).update(fsStringToSign(fields)).digest('base64url');
}

/** Signature first, then expiry: a tampered expiry reports bad_signature, not expired. */
export function verifyFsSignature(
  fields: FsSignedFields,
  signature: string,
  signingKey: string,
  nowSeconds: number,
): FsSignatureCheck {
  if (!BASE64URL.test(signature)) return { ok: false, reason: 'bad_signature' };
  const expected = Buffer.from(signFsRequest(fields, signingKey), 'base64url');
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad_signature' };
  }
  if (nowSeconds > fields.expires) return { ok: false, reason: 'expired' };
  return { ok: true };
}

/** Each segment percent-encoded on its own so `?`, `#`, `%` and `&` in keys survive the trip. */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

export function buildFsPresignedUrl(publicUrl: string, fields: FsSignedFields, signingKey: string): string {
  if (isWholeObjectPut(fields) && !fields.checksumSha256)
    throw new Error('a whole-object PUT URL must be presigned for a checksumSha256');
  if (fields.method === 'GET' && (fields.uploadId || fields.checksumSha256))
    throw new Error('a GET URL carries no upload or checksum fields');
  const query = new URLSearchParams();
  if (fields.uploadId) {
    query.set('uploadId', fields.uploadId);
    query.set('partNumber', String(fields.partNumber));
  }
  if (fields.method === 'PUT' && fields.checksumSha256) query.set('checksumSha256', fields.checksumSha256);
  query.set('expires', String(fields.expires));
  query.set('signature', signFsRequest(fields, signingKey));
  return `${publicUrl.replace(/\/+$/, '')}/storage/${fields.role}/${encodeKeyPath(fields.key)}?${query}`;
}

export interface ParsedFsPresignedUrl {
  /** The method the URL was signed for: PUT when it names an upload part or a checksum, otherwise GET. */
  fields: FsSignedFields;
  signature: string;
}

export type FsUrlParse = { ok: true; value: ParsedFsPresignedUrl } | { ok: false; reason: string };

const ROLE_PATH = new RegExp(`/storage/(${storageRoles.join('|')})/(.+)$`);

/**
 * Parses a request target (path + query, as received) back into the fields it
 * claims. The api may mount the endpoint under a prefix, so the path is matched
 * from its `/storage/<role>/` part.
 */
export function parseFsPresignedUrl(target: string): FsUrlParse {
  const url = new URL(target, 'http://presigned.invalid');
  const match = ROLE_PATH.exec(url.pathname);
  if (!match) return { ok: false, reason: 'the path is not /storage/<role>/<key>' };
  let key: string;
  try {
    key = match[2]!.split('/').map(decodeURIComponent).join('/');
  } catch {
    return { ok: false, reason: 'the key is not valid percent-encoding' };
  }
  const q = url.searchParams;
  const signature = q.get('signature');
  const expiresText = q.get('expires');
  if (!signature || !expiresText) return { ok: false, reason: 'the URL carries no signature or expiry' };
  const expires = Number(expiresText);
  if (!Number.isSafeInteger(expires)) return { ok: false, reason: 'expires is not a unix time' };

  const uploadId = q.get('uploadId') ?? '';
  const partText = q.get('partNumber');
  let partNumber = 0;
  if (uploadId || partText !== null) {
    partNumber = Number(partText);
    if (!uploadId || !Number.isSafeInteger(partNumber)) {
      return { ok: false, reason: 'a part URL needs both uploadId and an integer partNumber' };
    }
  }
  const checksumSha256 = q.get('checksumSha256');
  // Whichever method this infers is part of the signed string: a checksum added to a GET URL,
  // or removed from a whole-object PUT URL, changes the method and fails the signature.
  const method: FsPresignedMethod = uploadId || checksumSha256 ? 'PUT' : 'GET';
  return {
    ok: true,
    value: {
      fields: {
        method,
        role: match[1] as StorageRole,
        key,
        uploadId,
        partNumber,
        expires,
        ...(checksumSha256 ? { checksumSha256 } : {}),
      },
      signature,
    },
  };
}
