/**
 * The local resume journal: one small JSON file per file being uploaded, under
 * `<dir>/<sha256(api url, project, absolute path)>.json`. It remembers the
 * upload id (so a re-run resumes the same multipart upload), the file's size
 * and mtime when it was started (a changed file starts over), the checksums of
 * parts sent, and once known the whole-file sha256 and the promotion.
 *
 * The server stays the truth: a re-run asks it which parts it holds and which
 * state the upload is in; the journal only says where to look. Writes are
 * synchronous temp-file-and-rename, so a SIGKILL leaves the previous or the
 * next version, never half a file.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface JournalEntry {
  version: 1;
  apiUrl: string;
  projectId: string;
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
  path: string;
}

export class UploadJournal {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  fileOf(subject: JournalSubject): string {
    const id = createHash('sha256').update(`${subject.apiUrl.replace(/\/+$/, '')}\n${subject.projectId}\n${resolve(subject.path)}`).digest('hex');
    return join(this.dir, `${id}.json`);
  }

  /** The entry for this file, or null when there is none or it is unreadable (then the file simply starts over). */
  read(subject: JournalSubject): JournalEntry | null {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.fileOf(subject), 'utf8'));
    } catch {
      return null;
    }
    const entry = parsed as Partial<JournalEntry> | null;
    if (entry?.version !== 1 || entry.path !== resolve(subject.path) || typeof entry.size !== 'number' || typeof entry.mtimeMs !== 'number') return null;
    return { ...entry, parts: entry.parts ?? {} } as JournalEntry;
  }

  write(entry: Omit<JournalEntry, 'version' | 'updatedAt'>): void {
    const full: JournalEntry = { version: 1, ...entry, path: resolve(entry.path), updatedAt: new Date().toISOString() };
    const file = this.fileOf(full);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
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
  }
}
