/**
 * Multipart uploads of the fs driver. Each upload is a directory `.multipart/<uploadId>/` of its
 * role root holding upload.json {key, contentType, createdAt, layout?} and its parts, in one of
 * two forms:
 * - without layout: one file per part named `<partNumber>.<sha256 hex>`: the sha256 is the
 *   part's ETag and checksum (one hash per byte written: SHA-256 runs at twice MD5's speed on
 *   CPUs with SHA extensions), and keeping it in the name makes a part and its ETag appear in
 *   one rename. Completion copies them into one new file, hashing it on the way.
 * - with layout {size, partSize}: the parts are written in place into one data file and
 *   recorded by empty markers of the same names (fs-part-layout.ts); completion publishes the
 *   data file itself.
 * Completion publishes through the driver (FsObjectPublisher), so retention and atomic
 * rename apply as they do to any write.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { errors } from '../errors.ts';
import { quoteEtag, unquoteEtag } from './etags.ts';
import { fsDriverDirs, isFsUploadId } from './fs-keys.ts';
import { type FsModes, hasCode, READ_CHUNK, tempPathIn, uploadsAreDurable, writeTempFile } from './fs-files.ts';
import {
  assertLayout,
  checkPlacedParts,
  createPlacedDataFile,
  layoutPartCount,
  layoutRegion,
  type PartLayout,
  type PlacedPartRecords,
  placedDataFile,
  writePlacedPart,
} from './fs-part-layout.ts';
import { assertCompletionOrder } from './rules.ts';
import type { AssembledObject, MultipartOptions, UploadedPart } from './types.ts';

/** What completion needs of the driver: publishing a finished file under a key, as any write does. */
export interface FsObjectPublisher {
  /**
   * Moves a finished file onto key in one rename, refused while key is retained. A failure
   * removes the file unless keepSourceOnFailure.
   */
  publish(file: string, key: string, options?: { keepSourceOnFailure?: boolean }): Promise<void>;
  /** Throws conflict while key is retained. */
  refuseOverwrite(key: string): Promise<void>;
  /** The ETag head(key) reports. */
  etag(key: string): Promise<string | undefined>;
}

interface UploadRecord {
  key: string;
  contentType?: string;
  createdAt: string;
  /** MultipartOptions.layout: parts are written in place into the data file. */
  layout?: PartLayout;
}

type StoredPart = UploadedPart & { path: string; mtimeMs: number };

/**
 * A stored part, named `<partNumber>.<sha256 hex>`: without layout the file holds the part's
 * bytes; with layout it is an empty marker (the bytes are in the data file, the size is the layout's).
 */
const PART_FILE = /^(\d+)\.([0-9a-f]{64})$/;

function parsePartName(name: string): { partNumber: number; sha256Hex: string } | null {
  const m = PART_FILE.exec(name);
  return m ? { partNumber: Number(m[1]), sha256Hex: m[2]! } : null;
}

/** The part records of one upload's directory. */
class FsPartRecords implements PlacedPartRecords {
  readonly #dir: string;

  constructor(uploadDir: string) {
    this.#dir = uploadDir;
  }

  /** Records a part file (the part's bytes, written in the upload's directory) by renaming it to its name. */
  async place(file: string, partNumber: number, sha256Hex: string): Promise<void> {
    const name = `${partNumber}.${sha256Hex}`;
    try {
      await rename(file, join(this.#dir, name));
    } catch (err) {
      await rm(file, { force: true });
      // The upload was completed or aborted while this part was in flight.
      if (hasCode(err, 'ENOENT')) throw errors.notFound('upload');
      throw err;
    }
    await this.#removeOthers(partNumber, name);
  }

  async mark(partNumber: number, sha256Hex: string): Promise<void> {
    const name = `${partNumber}.${sha256Hex}`;
    await writeFile(join(this.#dir, name), '');
    await this.#removeOthers(partNumber, name);
  }

  async withdraw(partNumber: number): Promise<void> {
    await this.#removeOthers(partNumber, null);
  }

  /** The latest record of every part; a record's size is its file's, or its place's in a layout. */
  async stored(layout: PartLayout | undefined): Promise<Map<number, StoredPart>> {
    const parts = new Map<number, StoredPart>();
    for (const name of await readdir(this.#dir)) {
      const record = parsePartName(name);
      if (!record) continue;
      const path = join(this.#dir, name);
      let info: Stats;
      try {
        info = await stat(path);
      } catch (err) {
        if (hasCode(err, 'ENOENT')) continue; // replaced by a concurrent re-upload of the same part
        throw err;
      }
      const { partNumber, sha256Hex } = record;
      const seen = parts.get(partNumber);
      // Between a re-upload's rename and its cleanup both files exist; the newer one wins.
      if (!seen || info.mtimeMs > seen.mtimeMs) {
        // A marker is recorded only for a part of exactly its place's size.
        const size = layout ? layoutRegion(layout, partNumber).length : info.size;
        parts.set(partNumber, { partNumber, etag: quoteEtag(sha256Hex), size, path, mtimeMs: info.mtimeMs });
      }
    }
    return parts;
  }

  /** Removes the records of partNumber other than keep (all of them when keep is null). */
  async #removeOthers(partNumber: number, keep: string | null): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (err) {
      if (hasCode(err, 'ENOENT')) return; // the upload is gone, and its records with it
      throw err;
    }
    for (const name of names) {
      if (name !== keep && parsePartName(name)?.partNumber === partNumber)
        await rm(join(this.#dir, name), { force: true });
    }
  }
}

/** The multipart uploads of one role root. Keys and part numbers are checked by the caller (fs.ts). */
export class FsMultipartUploads {
  readonly #uploadsDir: string;
  readonly #tempDir: string;
  readonly #now: () => Date;
  readonly #objects: FsObjectPublisher;

  readonly #modes: FsModes;

  constructor(roleRoot: string, now: () => Date, modes: FsModes, objects: FsObjectPublisher) {
    this.#uploadsDir = join(roleRoot, fsDriverDirs.uploads);
    this.#tempDir = join(roleRoot, fsDriverDirs.temp);
    this.#now = now;
    this.#modes = modes;
    this.#objects = objects;
  }

  /**
   * The fs driver verifies a part's checksum whenever one is signed or sent, so checksumAlgorithm
   * changes nothing here. With a layout the parts are written in place into one data file sized
   * up front, so completing publishes that file without a copy.
   */
  async create(key: string, options: MultipartOptions): Promise<{ uploadId: string }> {
    if (options.layout) assertLayout(options.layout);
    const uploadId = randomBytes(16).toString('hex');
    const dir = this.#uploadDir(uploadId);
    await mkdir(dir, { recursive: true, mode: this.#modes.dir });
    const record: UploadRecord = {
      key,
      createdAt: this.#now().toISOString(),
      ...(options.contentType ? { contentType: options.contentType } : {}),
      ...(options.layout ? { layout: { size: options.layout.size, partSize: options.layout.partSize } } : {}),
    };
    if (record.layout) await createPlacedDataFile(dir, record.layout, this.#modes.file);
    // upload.json appears by rename, so a half-written record never names an upload.
    const temp = tempPathIn(dir);
    await writeFile(temp, JSON.stringify(record));
    await rename(temp, join(dir, 'upload.json'));
    return { uploadId };
  }

  /** The upload's record; not_found when uploadId names no upload of this key (as S3's NoSuchUpload). */
  async load(key: string, uploadId: string): Promise<UploadRecord> {
    let record: UploadRecord;
    try {
      record = JSON.parse(await readFile(join(this.#uploadDir(uploadId), 'upload.json'), 'utf8')) as UploadRecord;
    } catch (err) {
      if (hasCode(err, 'ENOENT')) throw errors.notFound('upload');
      throw err;
    }
    // An upload id used with another key is treated as unknown, as S3 does (NoSuchUpload).
    if (record.key !== key) throw errors.notFound('upload');
    return record;
  }

  /**
   * Stores one part. With checksumSha256 (base64) the bytes are verified while written and a
   * mismatch records nothing. Re-uploading a part number replaces it, as on S3. In an upload
   * with a layout a part must have its exact size (contentLength, when known, is checked before
   * a byte is written).
   */
  async writePart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable | Buffer,
    options: { checksumSha256?: string; contentLength?: number },
  ): Promise<UploadedPart> {
    const record = await this.load(key, uploadId);
    const dir = this.#uploadDir(uploadId);
    const records = new FsPartRecords(dir);
    if (record.layout) return writePlacedPart(dir, record.layout, partNumber, body, options, records);
    const temp = await writeTempFile(dir, body, {
      expectedSha256: options.checksumSha256,
      hash: true,
      durable: uploadsAreDurable,
      modes: this.#modes,
    });
    await records.place(temp.path, partNumber, temp.sha256Hex!);
    return {
      partNumber,
      etag: quoteEtag(temp.sha256Hex!),
      size: temp.size,
      checksumSha256: Buffer.from(temp.sha256Hex!, 'hex').toString('base64'),
    };
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    const record = await this.load(key, uploadId);
    return [...(await new FsPartRecords(this.#uploadDir(uploadId)).stored(record.layout)).values()]
      .map(({ partNumber, etag, size }) => ({
        partNumber,
        etag,
        size,
        checksumSha256: Buffer.from(unquoteEtag(etag), 'hex').toString('base64'),
      }))
      .sort((a, b) => a.partNumber - b.partNumber);
  }

  /**
   * Assembles the listed parts under key and removes the upload. Every byte is read on the way
   * (copied, or re-hashed in place), so the answer carries the object's sha256.
   */
  async complete(
    key: string,
    uploadId: string,
    parts: { partNumber: number; etag: string }[],
  ): Promise<AssembledObject> {
    const record = await this.load(key, uploadId);
    assertCompletionOrder(parts);
    try {
      return await this.#assemble(key, this.#uploadDir(uploadId), record, parts);
    } catch (err) {
      // Another completion of this upload (two clients completing it at once) or an abort took
      // its files away meanwhile: the upload is gone, as it is to a request that comes after.
      if (hasCode(err, 'ENOENT')) throw errors.notFound('upload');
      throw err;
    }
  }

  async #assemble(
    key: string,
    dir: string,
    record: UploadRecord,
    parts: { partNumber: number; etag: string }[],
  ): Promise<AssembledObject> {
    const stored = await new FsPartRecords(dir).stored(record.layout);
    const chosen = parts.map(({ partNumber, etag }) => {
      const part = stored.get(partNumber);
      if (!part) throw errors.badRequest(`part ${partNumber} was never uploaded`, { partNumber });
      if (unquoteEtag(etag) !== unquoteEtag(part.etag)) {
        throw errors.badRequest(
          `part ${partNumber}: ETag ${quoteEtag(etag)} does not match the uploaded part (${part.etag})`,
          {
            partNumber,
            expected: part.etag,
            given: quoteEtag(etag),
          },
        );
      }
      return part;
    });
    if (record.layout && chosen.length !== layoutPartCount(record.layout)) {
      const { size, partSize } = record.layout;
      throw errors.badRequest(
        `this upload has ${layoutPartCount(record.layout)} parts (${size} bytes in parts of ${partSize}); ${chosen.length} were listed`,
        {
          partCount: layoutPartCount(record.layout),
        },
      );
    }
    await this.#objects.refuseOverwrite(key);
    if (record.layout) return this.#completeInPlace(key, dir, record.layout, chosen);

    const files = chosen.map((part) => part.path);
    async function* concatenated() {
      for (const file of files) yield* createReadStream(file, { highWaterMark: READ_CHUNK });
    }
    // Every byte passes through here once: hashing them on the way gives promotion the whole
    // object's sha256 without reading it again.
    const temp = await writeTempFile(this.#tempDir, Readable.from(concatenated()), { hash: true, modes: this.#modes });
    await this.#objects.publish(temp.path, key);
    await rm(dir, { recursive: true, force: true });
    const etag = await this.#objects.etag(key);
    return { sha256: temp.sha256Hex!, ...(etag ? { etag } : {}) };
  }

  async abort(key: string, uploadId: string): Promise<void> {
    await this.load(key, uploadId);
    await rm(this.#uploadDir(uploadId), { recursive: true, force: true });
  }

  /**
   * Completes an upload with a layout: one read of the data file hashes the whole object and
   * each part's place; a place whose bytes are not its recorded part's (two PUTs of one part
   * raced and interleaved) refuses the completion and withdraws that part's record, so the
   * client sends it again. Otherwise the data file itself becomes the object, by rename.
   */
  async #completeInPlace(key: string, dir: string, layout: PartLayout, parts: StoredPart[]): Promise<AssembledObject> {
    const checked = await checkPlacedParts(
      dir,
      layout,
      parts.map((p) => unquoteEtag(p.etag)),
    );
    if ('tornPart' in checked) {
      await rm(parts[checked.tornPart - 1]!.path, { force: true });
      throw errors.badRequest(
        `part ${checked.tornPart}: the bytes at its place are not the part that was recorded (two uploads of it overlapped?); it was withdrawn, upload it again`,
        { partNumber: checked.tornPart },
      );
    }
    await this.#objects.publish(placedDataFile(dir), key, { keepSourceOnFailure: true });
    await rm(dir, { recursive: true, force: true });
    const etag = await this.#objects.etag(key);
    return { sha256: checked.sha256Hex, ...(etag ? { etag } : {}) };
  }

  #uploadDir(uploadId: string): string {
    if (!isFsUploadId(uploadId)) throw errors.notFound('upload');
    return join(this.#uploadsDir, uploadId);
  }
}
