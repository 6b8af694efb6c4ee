/**
 * What an ingest (`mediavault upload <paths…>`, the SDK's `ingest`) sends:
 * every regular file under the given paths (folders walked recursively), each
 * with the collection path its folder maps to when promoting: `--collection` /
 * the given folder's own name / the sub-folders, like `cp -r folder dest`. NAS realities are handled here:
 * - NAS and desktop litter is skipped by default (defaultExcludes), more with
 *   --exclude, only some files with --include (globs on the path relative to
 *   the given folder; a pattern without '/' matches any file or folder name);
 * - names are normalized to Unicode NFC (macOS writes NFD);
 * - a name that could escape its collection ('..', '\', control characters) is refused;
 * - symlinks inside folders are skipped (and reported) unless followSymlinks;
 *   paths given on the command line are always followed, like `cp -rH`;
 * - `ascmhl/` folders are not uploaded as assets: their hash lists verify the
 *   files beside them and are stored as sidecars of the promoted versions.
 */
import type { Stats } from 'node:fs';
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { mergeGenerations, parseMhl, type MhlEntry } from './ascmhl.ts';

/** Skipped unless --no-default-excludes: Finder, Windows, Synology/QNAP and NetApp/Isilon litter. */
export const defaultExcludes = [
  '.DS_Store',
  '._*',
  '.AppleDouble',
  '.Spotlight-V100',
  '.fseventsd',
  '.TemporaryItems',
  '.Trashes',
  '.DocumentRevisions-V100',
  'Thumbs.db',
  'desktop.ini',
  '$RECYCLE.BIN',
  '@eaDir',
  '#recycle',
  '.@__thumb',
  '.snapshot',
  '.snapshots',
  '.zfs',
] as const;

export interface PlanOptions {
  collection?: string;
  include?: string[];
  exclude?: string[];
  /** Default true. */
  defaultExcludes?: boolean;
  followSymlinks?: boolean;
  /** Extra ASC MHL files (--mhl); their root is the folder holding their `ascmhl/` folder, or their own folder. */
  mhlFiles?: string[];
}

export interface MhlHistory {
  /** Absolute path of the folder the MHL paths are relative to. */
  root: string;
  /** The .mhl files, oldest generation first. */
  files: string[];
  entries: Map<string, MhlEntry>;
}

export interface PlannedFile {
  /** As given or found (relative paths stay relative, for readable output). */
  path: string;
  absolutePath: string;
  /** NFC. */
  name: string;
  size: number;
  mtimeMs: number;
  collectionPath: string | undefined;
  /** The MHL entry this file is verified against, when a hash list covers it. */
  mhl: { history: MhlHistory; entry: MhlEntry } | undefined;
}

export interface PlanSkip {
  path: string;
  reason: 'excluded' | 'not-included' | 'symlink' | 'ascmhl' | 'not-a-file';
  detail?: string;
}

export interface PlanProblem {
  path: string;
  code: string;
  message: string;
}

export interface UploadPlan {
  files: PlannedFile[];
  skipped: PlanSkip[];
  problems: PlanProblem[];
  mhls: MhlHistory[];
}

export class UnsafeNameError extends Error {
  readonly code = 'unsafe_name';
}

/** Refuses a file or folder name that could escape its place once it is a collection or asset name. */
export function safeName(raw: string): string {
  const name = raw.normalize('NFC');
  // eslint-disable-next-line no-control-regex
  if (name === '' || name === '.' || name === '..' || /[/\\\u0000-\u001f\u007f]/.test(name)) {
    throw new UnsafeNameError(
      `refusing the name ${JSON.stringify(raw)}: empty, "." or "..", or it contains "/", "\\" or a control character`,
    );
  }
  return name;
}

export function collectionPathFor(base: string | undefined, segments: string[]): string | undefined {
  const parts = [
    ...(base ?? '')
      .split('/')
      .map((s) => s.trim())
      .filter((s) => s !== '' && s !== '.'),
    ...segments,
  ].map(safeName);
  return parts.length > 0 ? parts.join('/') : undefined;
}

interface Matchers {
  excluded(rel: string): string | null;
  included(rel: string): boolean;
}

function matchers(options: PlanOptions): Matchers {
  const globOptions = { dot: true, basename: true } as const;
  const excludes = [...(options.defaultExcludes === false ? [] : defaultExcludes), ...(options.exclude ?? [])].map(
    (glob) => ({ glob, test: picomatch(glob, globOptions) }),
  );
  const includes = (options.include ?? []).map((glob) => picomatch(glob, globOptions));
  return {
    excluded: (rel) => excludes.find((e) => e.test(rel))?.glob ?? null,
    included: (rel) => includes.length === 0 || includes.some((test) => test(rel)),
  };
}

export async function planUpload(paths: string[], options: PlanOptions = {}): Promise<UploadPlan> {
  const plan: UploadPlan = { files: [], skipped: [], problems: [], mhls: [] };
  const match = matchers(options);
  const seen = new Set<string>();
  const found: { path: string; size: number; mtimeMs: number; segments: string[] }[] = [];
  const problem = (path: string, err: unknown) => {
    if (err instanceof UnsafeNameError)
      plan.problems.push({ path, code: err.code, message: `${path}: ${err.message}` });
    else plan.problems.push({ path, code: 'file_unreadable', message: `${path}: ${(err as Error).message}` });
  };

  for (const mhlFile of options.mhlFiles ?? []) {
    const absolute = resolve(mhlFile);
    const parent = dirname(absolute);
    await addMhlHistory(plan, basename(parent) === 'ascmhl' ? dirname(parent) : parent, [absolute]);
  }

  const walk = async (dir: string, rootDir: string, segments: string[], visited: Set<string>): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const mhlDir = entries.find((e) => e.name === 'ascmhl' && e.isDirectory());
    if (mhlDir) {
      const mhlFiles = (await readdir(join(dir, 'ascmhl')))
        .filter((n) => n.endsWith('.mhl'))
        .sort()
        .map((n) => join(dir, 'ascmhl', n));
      if (mhlFiles.length > 0) await addMhlHistory(plan, resolve(dir), mhlFiles);
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const rel = relative(rootDir, path).split(sep).join('/');
      const excludedBy = match.excluded(rel);
      if (excludedBy) {
        plan.skipped.push({ path, reason: 'excluded', detail: excludedBy });
        continue;
      }
      if (entry === mhlDir) {
        plan.skipped.push({ path, reason: 'ascmhl', detail: 'hash lists verify the files and are stored as sidecars' });
        continue;
      }
      let info: Stats | Error;
      if (entry.isSymbolicLink()) {
        if (!options.followSymlinks) {
          plan.skipped.push({ path, reason: 'symlink', detail: 'pass --follow-symlinks to follow links' });
          continue;
        }
        info = await stat(path).catch((err: Error) => err);
        if (info instanceof Error) {
          plan.problems.push({
            path,
            code: 'broken_symlink',
            message: `${path}: the link's target cannot be read (${info.message})`,
          });
          continue;
        }
      } else if (entry.isFile() || entry.isDirectory()) {
        info = await stat(path);
      } else {
        plan.skipped.push({ path, reason: 'not-a-file', detail: 'not a regular file or folder' });
        continue;
      }
      try {
        if (info.isDirectory()) {
          const real = await realpath(path);
          if (visited.has(real)) continue; // a link loop
          await walk(path, rootDir, [...segments, safeName(entry.name)], new Set([...visited, real]));
        } else if (info.isFile()) {
          if (!match.included(rel)) {
            plan.skipped.push({ path, reason: 'not-included' });
            continue;
          }
          safeName(entry.name);
          found.push({ path, size: info.size, mtimeMs: info.mtimeMs, segments });
        }
      } catch (err) {
        problem(path, err);
      }
    }
  };

  for (const given of paths) {
    const info = await stat(given).catch((err: NodeJS.ErrnoException) => err);
    if (info instanceof Error) {
      plan.problems.push({
        path: given,
        code: info.code === 'ENOENT' ? 'file_not_found' : 'file_unreadable',
        message: `${given}: ${info.code === 'ENOENT' ? 'no such file or folder' : info.message}`,
      });
      continue;
    }
    try {
      if (info.isFile()) {
        safeName(basename(resolve(given)));
        found.push({ path: given, size: info.size, mtimeMs: info.mtimeMs, segments: [] });
      } else if (info.isDirectory()) {
        const rootName = safeName(basename(resolve(given)));
        await walk(given, given, [rootName], new Set([await realpath(given)]));
      } else {
        plan.problems.push({ path: given, code: 'not_a_file', message: `${given}: not a regular file or folder` });
      }
    } catch (err) {
      problem(given, err);
    }
  }

  for (const f of found) {
    const absolutePath = resolve(f.path);
    if (seen.has(absolutePath)) continue;
    seen.add(absolutePath);
    try {
      plan.files.push({
        path: f.path,
        absolutePath,
        name: safeName(basename(absolutePath)),
        size: f.size,
        mtimeMs: f.mtimeMs,
        collectionPath: collectionPathFor(options.collection, f.segments),
        mhl: mhlFor(plan.mhls, absolutePath),
      });
    } catch (err) {
      problem(f.path, err);
    }
  }
  return plan;
}

async function addMhlHistory(plan: UploadPlan, root: string, files: string[]): Promise<void> {
  const existing = plan.mhls.find((h) => h.root === root);
  const generations = await Promise.all(files.map(async (file) => parseMhl(await readFile(file, 'utf8'))));
  if (existing) {
    existing.files.push(...files);
    existing.entries = mergeGenerations([[...existing.entries.values()], ...generations]);
  } else {
    plan.mhls.push({ root, files: [...files], entries: mergeGenerations(generations) });
  }
}

/** The nearest history (deepest root) that lists the file. */
function mhlFor(histories: MhlHistory[], absolutePath: string): PlannedFile['mhl'] {
  const candidates = histories
    .filter((h) => absolutePath.startsWith(h.root + sep))
    .sort((a, b) => b.root.length - a.root.length);
  for (const history of candidates) {
    const entry = history.entries.get(relative(history.root, absolutePath).split(sep).join('/').normalize('NFC'));
    if (entry) return { history, entry };
  }
  return undefined;
}
