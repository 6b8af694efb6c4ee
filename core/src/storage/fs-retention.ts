/**
 * Retention on the fs driver: an object written with retainUntil is made read-only (the object mode without write bits: 0440 by default) and
 * its retain-until is recorded in `<role root>/.retention/<key>.json` ({"retainUntil": ISO}).
 * A sidecar, not an xattr, because NAS mounts (NFS/SMB) often drop xattrs. Until that date the
 * driver refuses to overwrite or delete the object.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errors } from '../errors.ts';
import { fsDriverDirs } from './fs-keys.ts';
import { hasCode } from './fs-files.ts';
import type { FsModes } from './fs-files.ts';

export class FsRetentionRecords {
  readonly #dir: string;
  readonly #now: () => Date;
  readonly #modes: FsModes;

  constructor(roleRoot: string, now: () => Date, modes: FsModes) {
    this.#dir = join(roleRoot, fsDriverDirs.retention);
    this.#now = now;
    this.#modes = modes;
  }

  /** The recorded retain-until of key, expired or not; undefined when none is recorded. */
  async until(key: string): Promise<Date | undefined> {
    const path = this.#recordPath(key);
    // Most keys have no record, and every write and delete asks. A synchronous probe answers
    // that in about 2 µs; an async read that fails costs about 100 µs of CPU (a thread-pool
    // round trip and an Error), which thousands of small files add up to seconds.
    if (!existsSync(path)) return undefined;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (hasCode(err, 'ENOENT', 'ENOTDIR')) return undefined;
      throw err;
    }
    const until = new Date((JSON.parse(text) as { retainUntil: string }).retainUntil);
    if (Number.isNaN(until.getTime())) throw new Error(`corrupt retention record for ${key}`);
    return until;
  }

  /**
   * Throws while key is retained: conflict for an overwrite, forbidden for a delete. Answers the
   * record it found (expired, so the caller may go on), or undefined.
   */
  async refuse(action: 'overwrite' | 'delete', key: string): Promise<Date | undefined> {
    const until = await this.until(key);
    if (until && until > this.#now()) {
      const why = `${key} is under retention until ${until.toISOString()}`;
      if (action === 'delete') throw errors.forbidden(`${why} and cannot be deleted`);
      throw errors.conflict(`${why} and cannot be overwritten`, { key });
    }
    return until;
  }

  /** Makes file (about to be published under key) read-only and records key retained until then. */
  async retain(key: string, file: string, until: Date): Promise<void> {
    await chmod(file, this.#modes.retained);
    const record = this.#recordPath(key);
    await mkdir(dirname(record), { recursive: true, mode: this.#modes.dir });
    // The record appears by rename: a reader never finds half of one.
    const temp = `${record}.tmp-${randomBytes(8).toString('hex')}`;
    await writeFile(temp, JSON.stringify({ retainUntil: until.toISOString() }));
    await rename(temp, record);
  }

  async forget(key: string): Promise<void> {
    await rm(this.#recordPath(key), { force: true });
  }

  #recordPath(key: string): string {
    return join(this.#dir, `${key}.json`);
  }
}
