/**
 * fs multipart uploads with a layout ({size, partSize} fixed when the upload is created, as
 * the api does): `data` in the upload's directory, sized up front (sparse: Node has no
 * fallocate), holds every part at (partNumber - 1) * partSize. A part must have exactly its
 * place's size and is written straight there, so completion publishes `data` by rename and no
 * byte is copied. Each written part is recorded by an empty marker named like a part file
 * (fs-multipart.ts), its size being the layout's.
 *
 * Two requests for one part (a client retry while the first is still being received) can
 * interleave their bytes at its place: such places are marked while written and re-hashed on
 * completion (checkPlacedParts); every other place holds what was verified as it was written.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rm, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errors } from '../errors.ts';
import { quoteEtag } from './etags.ts';
import { hasCode, READ_CHUNK, sameSha256, uploadsAreDurable, WRITE_BUFFER } from './fs-files.ts';
import { maxPartNumber } from './rules.ts';
import type { UploadedPart } from './types.ts';

/** The object's size and the size of every part but the last, fixed when the upload is created. */
export interface PartLayout {
  size: number;
  partSize: number;
}

/** How a placed part's record is kept (fs-multipart.ts names the markers). */
export interface PlacedPartRecords {
  /** Records partNumber as holding the bytes of this sha256, replacing its earlier records. */
  mark(partNumber: number, sha256Hex: string): Promise<void>;
  /** Withdraws every record of partNumber: its place may no longer hold what was recorded. */
  withdraw(partNumber: number): Promise<void>;
}

/** Where an upload with a layout keeps its bytes; published by rename on completion. */
export function placedDataFile(uploadDir: string): string {
  return join(uploadDir, 'data');
}

export function layoutPartCount(layout: PartLayout): number {
  return Math.max(1, Math.ceil(layout.size / layout.partSize));
}

export function assertLayout(layout: PartLayout): void {
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
export function layoutRegion(layout: PartLayout, partNumber: number): { offset: number; length: number } {
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

/** The data file of a new upload, of the layout's size (sparse until parts are written). */
export async function createPlacedDataFile(uploadDir: string, layout: PartLayout, mode: number): Promise<void> {
  const data = await open(placedDataFile(uploadDir), 'wx', mode);
  try {
    await data.truncate(layout.size);
  } finally {
    await data.close();
  }
}

/**
 * A part of an upload with a layout: written at its place in the data file, hashed and
 * checked as it goes, then recorded by a marker named after its sha256. A write that fails
 * after touching the part's place withdraws the part's record: those bytes may no longer be
 * the recorded part's, and listParts must then ask for the part again.
 */
export async function writePlacedPart(
  uploadDir: string,
  layout: PartLayout,
  partNumber: number,
  body: Readable | Buffer,
  options: { checksumSha256?: string; contentLength?: number },
  records: PlacedPartRecords,
): Promise<UploadedPart> {
  const { offset, length } = layoutRegion(layout, partNumber);
  const wrongSize = (actual: string) =>
    errors.badRequest(
      `part ${partNumber} must be ${length} bytes (${length === layout.partSize ? 'the part size' : 'the rest of the object after the full parts'}), not ${actual}; the part was not recorded`,
      { partNumber, expectedSize: length },
    );
  if (options.contentLength !== undefined && options.contentLength !== length)
    throw wrongSize(String(options.contentLength));
  // Two requests for one part can interleave their bytes at its place. The first holds
  // `<n>.writing` while it writes; one that finds it there marks the part overlapped, which
  // completion then re-hashes. Any two overlapping writes meet this way: both cannot hold the
  // mark at the same time.
  const writingMark = join(uploadDir, `${partNumber}.writing`);
  let holdsMark = false;
  try {
    await writeFile(writingMark, '', { flag: 'wx' });
    holdsMark = true;
  } catch (err) {
    if (hasCode(err, 'ENOENT')) throw errors.notFound('upload');
    if (!hasCode(err, 'EEXIST')) throw err;
    await writeFile(join(uploadDir, `${partNumber}.overlapped`), '');
  }
  try {
    return await writeAtPlace(uploadDir, partNumber, offset, length, body, options, wrongSize, records);
  } finally {
    if (holdsMark) await rm(writingMark, { force: true });
  }
}

async function writeAtPlace(
  uploadDir: string,
  partNumber: number,
  offset: number,
  length: number,
  body: Readable | Buffer,
  options: { checksumSha256?: string },
  wrongSize: (actual: string) => Error,
  records: PlacedPartRecords,
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
      createWriteStream(placedDataFile(uploadDir), {
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
    await records.mark(partNumber, sha256Hex);
    return { partNumber, etag: quoteEtag(sha256Hex), size, checksumSha256: actual };
  } catch (err) {
    if (size > 0) await records.withdraw(partNumber);
    // The upload was completed or aborted while this part was in flight.
    if (hasCode(err, 'ENOENT')) throw errors.notFound('upload');
    throw err;
  }
}

/**
 * Checks the data file before it is published, in one read: the whole object's sha256, and
 * the place of every part two requests may have written at once (marked `.overlapped`, or
 * `.writing` by a request in flight or one that died in flight) against that part's recorded
 * sha256 (recordedSha256Hex[partNumber - 1]). Answers the first torn part instead when one
 * holds other bytes than its record says.
 */
export async function checkPlacedParts(
  uploadDir: string,
  layout: PartLayout,
  recordedSha256Hex: string[],
): Promise<{ sha256Hex: string } | { tornPart: number }> {
  const overlapped = new Set<number>();
  for (const name of await readdir(uploadDir)) {
    const mark = /^(\d+)\.(writing|overlapped)$/.exec(name);
    if (mark) overlapped.add(Number(mark[1]));
  }
  return hashPlacedParts(
    placedDataFile(uploadDir),
    layout,
    recordedSha256Hex.map((sha256Hex, i) => (overlapped.has(i + 1) ? sha256Hex : null)),
  );
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
