/**
 * Pure HTTP semantics for serving one file: validators (ETag), conditional GET
 * (If-None-Match, If-Range) and byte ranges. No I/O, so every branch is testable
 * with plain values.
 */
import parseRange from 'range-parser';

export interface FileFacts {
  size: number;
  mtimeMs: number;
}

export interface RequestValidators {
  range?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifRange?: string | undefined;
}

export type FilePlan =
  | { status: 200; etag: string; start: number; end: number; length: number }
  | { status: 206; etag: string; start: number; end: number; length: number; contentRange: string }
  | { status: 304; etag: string }
  | { status: 416; etag: string; contentRange: string };

/** Strong validator from size and mtime: a cached file is written once (atomic rename) and never edited. */
export function etagFor(file: FileFacts): string {
  return `"${file.size.toString(16)}-${Math.floor(file.mtimeMs).toString(16)}"`;
}

function matchesAny(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  // If-None-Match uses weak comparison: W/"x" matches "x".
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

export function planFileResponse(file: FileFacts, request: RequestValidators): FilePlan {
  const etag = etagFor(file);
  const whole = { etag, start: 0, end: file.size - 1, length: file.size };

  if (request.ifNoneMatch && matchesAny(request.ifNoneMatch, etag)) return { status: 304, etag };
  if (!request.range) return { status: 200, ...whole };
  // If-Range with a stale validator means "send me the whole new file", not a slice of it.
  if (request.ifRange && request.ifRange.trim() !== etag) return { status: 200, ...whole };

  const ranges = parseRange(file.size, request.range, { combine: true });
  if (ranges === -1) return { status: 416, etag, contentRange: `bytes */${file.size}` };
  // A malformed header, another unit, or several disjoint ranges: RFC 9110 lets us
  // ignore Range and send the whole file rather than build multipart/byteranges.
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return { status: 200, ...whole };

  const { start, end } = ranges[0]!;
  return { status: 206, etag, start, end, length: end - start + 1, contentRange: `bytes ${start}-${end}/${file.size}` };
}
