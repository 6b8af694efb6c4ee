/**
 * The edge's local disk cache of preview files. A file is either absent or
 * complete on disk: fetches are written to a temp file under <cacheDir>/.partial
 * and renamed into place, so a reader never sees half a segment and a crash
 * leaves only junk in .partial (which no preview path can name, since every
 * preview path starts with hls/, mp4/, thumbs/ or waveform/).
 *
 * Concurrent misses for the same path share one fetch (single-flight), so a
 * popular segment expiring from every player at once costs one storage read.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createWriteStream, type Stats } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { errors, isAppError } from '@mediavault/core/errors';
import type { Storage } from '@mediavault/core/storage/types';

export interface CachedFile {
  filePath: string;
  stats: Stats;
  /** true when served from disk without waiting for the storage. */
  hit: boolean;
}

/** Emits 'hit' and 'miss' with the preview path as each lookup is decided (for metrics and tests). */
export interface PreviewCache extends EventEmitter<{ hit: [previewPath: string]; miss: [previewPath: string] }> {
  /** Resolves to the file on local disk, fetching it first on a miss. Throws AppError not_found / unavailable. */
  open(previewPath: string): Promise<CachedFile>;
  readonly stats: { hits: number; misses: number };
}

const PARTIAL_DIR = '.partial';

export function createPreviewCache(options: { cacheDir: string; previews: Storage }): PreviewCache {
  const root = resolve(options.cacheDir);
  const partialDir = join(root, PARTIAL_DIR);
  const inFlight = new Map<string, Promise<void>>();
  const counters = { hits: 0, misses: 0 };

  function localPath(previewPath: string): string {
    const filePath = resolve(root, ...previewPath.split('/'));
    // The route already refuses traversal; this is the last line should a caller forget.
    if (!filePath.startsWith(root + sep) || filePath.startsWith(partialDir + sep)) {
      throw errors.forbidden(`path escapes the edge cache: ${previewPath}`);
    }
    return filePath;
  }

  async function fetchIntoCache(previewPath: string, filePath: string): Promise<void> {
    let body: Readable;
    try {
      body = await options.previews.get(previewPath);
    } catch (err) {
      throw storageFailure(err, previewPath);
    }
    await mkdir(partialDir, { recursive: true });
    const temp = join(partialDir, randomUUID());
    try {
      await pipeline(body, createWriteStream(temp, { flags: 'wx' }));
      await mkdir(dirname(filePath), { recursive: true });
      await rename(temp, filePath);
    } catch (err) {
      await rm(temp, { force: true });
      throw storageFailure(err, previewPath);
    }
  }

  function fetchOnce(previewPath: string, filePath: string): Promise<void> {
    let pending = inFlight.get(previewPath);
    if (!pending) {
      pending = fetchIntoCache(previewPath, filePath).finally(() => inFlight.delete(previewPath));
      inFlight.set(previewPath, pending);
    }
    return pending;
  }

  const cache = Object.assign(new EventEmitter<{ hit: [string]; miss: [string] }>(), {
    stats: counters,
    async open(previewPath: string): Promise<CachedFile> {
      const filePath = localPath(previewPath);
      const cached = await statFile(filePath);
      if (cached) {
        counters.hits++;
        cache.emit('hit', previewPath);
        return { filePath, stats: cached, hit: true };
      }
      counters.misses++;
      const fetched = fetchOnce(previewPath, filePath);
      cache.emit('miss', previewPath);
      await fetched;
      const stats = await statFile(filePath);
      if (!stats) throw errors.unavailable(`preview ${previewPath} vanished from the edge cache`);
      return { filePath, stats, hit: false };
    },
  });
  return cache;
}

async function statFile(filePath: string): Promise<Stats | null> {
  try {
    const stats = await stat(filePath);
    return stats.isFile() ? stats : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return null;
    }
    throw err;
  }
}

/**
 * A missing object is a 404 the player may retry later (the preview is still
 * being rendered); anything else means the bucket is unreachable — a 503, never
 * a cached failure.
 */
function storageFailure(err: unknown, previewPath: string): Error {
  if (isAppError(err) && err.code === 'not_found') return errors.notFound(`preview ${previewPath}`);
  if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return errors.notFound(`preview ${previewPath}`);
  if (isAppError(err)) return err;
  return errors.unavailable(`the previews storage failed for ${previewPath}: ${(err as Error)?.message ?? err}`);
}
