/**
 * How the s3 driver cuts bytes into parts, within S3's limits (10,000 parts; CopyObject and
 * one part up to 5 GiB): a stream body of unknown length into fixed-size parts, and an object
 * too large for CopyObject into UploadPartCopy ranges. Pure, apart from reading the stream.
 */
import { maxPartNumber } from './rules.ts';

/** S3's CopyObject limit, which is also the largest part. */
export const s3MaxCopyObjectBytes = 5 * 1024 ** 3;

export interface PartCopyRange {
  partNumber: number;
  start: number;
  /** inclusive */
  end: number;
}

/** Byte ranges for UploadPartCopy; the part size grows if needed so the copy fits in 10,000 parts. */
export function planPartCopyRanges(size: number, partSizeBytes: number): PartCopyRange[] {
  if (!Number.isSafeInteger(size) || size <= 0) throw new Error(`cannot plan a part copy of ${size} bytes`);
  const partSize = Math.max(partSizeBytes, Math.ceil(size / maxPartNumber));
  if (partSize > s3MaxCopyObjectBytes) throw new Error(`object of ${size} bytes exceeds S3's multipart limits`);
  const ranges: PartCopyRange[] = [];
  for (let start = 0, partNumber = 1; start < size; start += partSize, partNumber++) {
    ranges.push({ partNumber, start, end: Math.min(start + partSize, size) - 1 });
  }
  return ranges;
}

/** Re-chunks a stream into Buffers of exactly `size` bytes (the last may be shorter); holds at most one part. */
export async function* fixedSizeChunks(stream: AsyncIterable<Buffer | string>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of stream) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    while (pendingBytes + buf.length >= size) {
      const take = size - pendingBytes;
      pending.push(buf.subarray(0, take));
      yield Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      buf = buf.subarray(take);
    }
    if (buf.length > 0) {
      pending.push(buf);
      pendingBytes += buf.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending);
}
