/**
 * The local resume journal. A file being uploaded has one small JSON file,
 * `<dir>/<sha256(api url, project, absolute path)>.json`: the upload id (so a
 * re-run resumes the same multipart upload), the file's size and mtime when it
 * was started (a changed file starts over), the checksums of parts sent, and
 * once known the whole-file sha256. An upload can be promoted anywhere in its
 * project, so its entry names no more; a promotion is kept under its target as
 * well (`target`: the collection, or the asset it became a version of), so the
 * same file promoted into another collection is not taken as done. A file whose upload has settled (uploaded,
 * promoted or deduplicated: no parts to remember) is instead appended as one
 * line to this run's log, `<dir>/settled-<time>-<pid>.ndjson`: creating a file
 * per settled file costs about a millisecond each on ext4, which thousands of
 * small files turn into seconds of a blocked CLI.
 *
 * The server stays the truth: a re-run asks it which parts it holds and which
 * state the upload is in; the journal only says where to look. Per-file writes
 * are synchronous temp-file-and-rename, so a SIGKILL leaves the previous or the
 * next version, never half a file; a torn last log line is ignored.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

export interface JournalEntry {
  version: 1;
  apiUrl: string;
  projectId: string;
  /** Where in the project a promotion went (a 'promoted' entry); absent for an upload. */
  target?: string;
  path: string;
  size: number;
  mtimeMs: number;
  /** null for a deduplicated file (no upload). */
  uploadId: string | null;
  state: 'uploading' | 'uploaded' | 'promoted';
  /** partNumber → base64 sha256 of the part, for parts the server acknowledged. */
  parts: Record<string, string>;
  sha256?: string;
  assetId?: string;
  versionId?: string;
  updatedAt: string;
}

export interface JournalSubject {
  apiUrl: string;
  projectId: string;
  /** Where in the project the file is promoted to: part of the key when given. */
  target?: string;
  path: string;
}

/** A line of a settled log: an entry, or the withdrawal (at a time) of the entry for one journal id. */
type SettledLine = { id: string; entry: JournalEntry } | { id: string; removed: string };

const settledLogName = /^settled-(\d+)-(\d+)\.ndjson$/;

const lineTime = (line: SettledLine) => ('removed' in line ? line.removed : line.entry.updatedAt);

/** Reads a settled log into `into`, the latest line of each id winning (logs of concurrent runs interleave in time). */
function readSettledLog(file: string, into: Map<string, SettledLine>): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  for (const raw of text.split('\n')) {
    let line: SettledLine;
    try {
      line = JSON.parse(raw) as SettledLine;
    } catch {
      continue; // a torn last line
    }
    if (
      typeof line?.id !== 'string' ||
      !('removed' in line ? typeof line.removed === 'string' : line.entry?.version === 1)
    )
      continue;
    const known = into.get(line.id);
    if (!known || lineTime(line) >= lineTime(known)) into.set(line.id, line);
  }
}

export class UploadJournal {
  readonly dir: string;
  /** This run's settled log, opened on the first settled entry. */
  #log: number | null = null;
  /** The latest settled line of each journal id over all logs, loaded on the first read. */
  #settled: Map<string, SettledLine> | null = null;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  idOf(subject: JournalSubject): string {
    // Without a target, the key entries had before targets were: their uploads resume.
    return createHash('sha256')
      .update(
        `${subject.apiUrl.replace(/\/+$/, '')}\n${subject.projectId}\n${subject.target ? `${subject.target}\n` : ''}${resolve(subject.path)}`,
      )
      .digest('hex');
  }

  fileOf(subject: JournalSubject): string {
    return join(this.dir, `${this.idOf(subject)}.json`);
  }

  /** The entry for this file, or null when there is none or it is unreadable (then the file simply starts over). */
  read(subject: JournalSubject): JournalEntry | null {
    // A per-file entry is newer than a settled one: settling removes it.
    const parsed = readJson(this.fileOf(subject)) ?? this.#settledEntry(this.idOf(subject)) ?? null;
    const entry = parsed as Partial<JournalEntry> | null;
    if (
      entry?.version !== 1 ||
      entry.path !== resolve(subject.path) ||
      entry.target !== subject.target ||
      typeof entry.size !== 'number' ||
      typeof entry.mtimeMs !== 'number'
    )
      return null;
    return { ...entry, parts: entry.parts ?? {} } as JournalEntry;
  }

  write(entry: Omit<JournalEntry, 'version' | 'updatedAt'>): void {
    const full: JournalEntry = { version: 1, ...entry, path: resolve(entry.path), updatedAt: new Date().toISOString() };
    const file = this.fileOf(full);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    if (full.state !== 'uploading' && Object.keys(full.parts).length === 0) {
      this.#append({ id: this.idOf(full), entry: full });
      rmSync(file, { force: true });
      return;
    }
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(full));
    // Renaming onto an existing file makes ext4 (auto_da_alloc) flush the new file's data first,
    // about a millisecond per write; thousands of small files make that seconds. Removing the old
    // entry first avoids it; a crash in between loses that one entry, so the file is sent again.
    rmSync(file, { force: true });
    renameSync(temp, file);
  }

  remove(subject: JournalSubject): void {
    rmSync(this.fileOf(subject), { force: true });
    const id = this.idOf(subject);
    if (this.#settledEntry(id)) this.#append({ id, removed: new Date().toISOString() });
  }

  /** Closes this run's log (the process exiting closes it too). */
  close(): void {
    if (this.#log !== null) closeSync(this.#log);
    this.#log = null;
  }

  #append(line: SettledLine): void {
    const lines = this.#loadSettled();
    if (this.#log === null) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      this.#log = openSync(join(this.dir, `settled-${Date.now()}-${process.pid}.ndjson`), 'a', 0o600);
    }
    // One write per line: a SIGKILL leaves whole lines and at most one torn last line.
    writeSync(this.#log, `${JSON.stringify(line)}\n`);
    lines.set(line.id, line);
  }

  #settledEntry(id: string): JournalEntry | undefined {
    const line = this.#loadSettled().get(id);
    return line && !('removed' in line) ? line.entry : undefined;
  }

  /**
   * Reads every settled log once. Logs of runs that have ended are then folded into one,
   * so they do not pile up run after run; a log another running CLI still appends to
   * stays as it is.
   */
  #loadSettled(): Map<string, SettledLine> {
    if (this.#settled) return this.#settled;
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((name) => settledLogName.test(name));
    } catch {
      names = [];
    }
    const pidOf = (name: string) => Number(settledLogName.exec(name)![2]);
    const ended = names.filter((name) => pidOf(name) !== process.pid && !isRunning(pidOf(name)));
    const inUse = names.filter((name) => !ended.includes(name));
    const endedLines = new Map<string, SettledLine>();
    for (const name of ended) readSettledLog(join(this.dir, name), endedLines);
    const lines = new Map(endedLines);
    for (const name of inUse) readSettledLog(join(this.dir, name), lines);
    this.#settled = lines;
    if (ended.length > 1) this.#fold(ended, endedLines, inUse.length > 0);
    return lines;
  }

  /** Replaces ended logs by one with the latest line of each id (withdrawals kept only while other logs may need them). */
  #fold(names: string[], folded: Map<string, SettledLine>, othersInUse: boolean): void {
    const target = join(this.dir, `settled-${Date.now()}-${process.pid}-folded.tmp`);
    const final = join(
      this.dir,
      `settled-${Math.min(...names.map((name) => Number(settledLogName.exec(name)![1])))}-${process.pid}.ndjson`,
    );
    try {
      writeFileSync(
        target,
        [...folded.values()]
          .filter((line) => othersInUse || !('removed' in line))
          .map((line) => `${JSON.stringify(line)}\n`)
          .join(''),
        { mode: 0o600 },
      );
      renameSync(target, final);
      for (const name of names) if (join(this.dir, name) !== final) rmSync(join(this.dir, name), { force: true });
    } catch {
      rmSync(target, { force: true });
    }
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
