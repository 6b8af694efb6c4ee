/**
 * What `mediavault upload <paths…>` sends: every regular file under the given
 * paths (folders walked recursively, dot-files skipped), each with the
 * collection path its folder maps to when promoting: `--collection` / the
 * given folder's own name / the sub-folders, like `cp -r folder dest`.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';

export interface PlannedFile {
  /** As given or found (relative paths stay relative, for readable output). */
  path: string;
  name: string;
  size: number;
  collectionPath: string | undefined;
}

export interface PlanProblem {
  path: string;
  code: string;
  message: string;
}

export function collectionPathFor(base: string | undefined, segments: string[]): string | undefined {
  const parts = [...(base ?? '').split('/'), ...segments].map((s) => s.trim()).filter((s) => s !== '' && s !== '.');
  return parts.length > 0 ? parts.join('/') : undefined;
}

export async function planUpload(paths: string[], baseCollection: string | undefined): Promise<{ files: PlannedFile[]; problems: PlanProblem[] }> {
  const files: PlannedFile[] = [];
  const problems: PlanProblem[] = [];
  const seen = new Set<string>();
  const add = (path: string, size: number, segments: string[]) => {
    const absolute = resolve(path);
    if (seen.has(absolute)) return;
    seen.add(absolute);
    files.push({ path, name: basename(path), size, collectionPath: collectionPathFor(baseCollection, segments) });
  };
  for (const given of paths) {
    const info = await stat(given).catch((err: NodeJS.ErrnoException) => err);
    if (info instanceof Error) {
      problems.push({ path: given, code: info.code === 'ENOENT' ? 'file_not_found' : 'file_unreadable', message: `${given}: ${info.code === 'ENOENT' ? 'no such file or folder' : info.message}` });
      continue;
    }
    if (info.isFile()) {
      add(given, info.size, []);
      continue;
    }
    if (!info.isDirectory()) {
      problems.push({ path: given, code: 'not_a_file', message: `${given}: not a regular file or folder` });
      continue;
    }
    const rootName = basename(resolve(given));
    const entries = await readdir(given, { recursive: true, withFileTypes: true });
    const found: { path: string; size: number; segments: string[] }[] = [];
    for (const entry of entries) {
      const path = join(entry.parentPath, entry.name);
      const rel = relative(given, path).split(sep);
      if (rel.some((segment) => segment.startsWith('.'))) continue;
      if (!entry.isFile() && !entry.isSymbolicLink()) continue;
      const target = await stat(path).catch(() => null);
      if (!target?.isFile()) continue;
      found.push({ path, size: target.size, segments: [rootName, ...rel.slice(0, -1)] });
    }
    found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const f of found) add(f.path, f.size, f.segments);
  }
  return { files, problems };
}
