/**
 * The edge's local disk cache of preview files. A file is either absent or
 * complete on disk: fetches are written to a temp file under <cacheDir>/.partial
 * and renamed into place, so a reader never sees half a segment and a crash
 * leaves only junk in .partial (which no preview path can name, since every
 * preview path starts with hls/, mp4/, thumbs/ or waveform/).
 *
 * Concurrent misses for the same path share one fetch (single-flight), so a
 * popular segment expiring from every player at once costs one storage read.
 *
 * Segments, MP4s, images and waveforms are immutable: once on disk they are
 * served without asking the store again. Playlists are not (a rebuild or a fill
 * replaces master.m3u8), so a cached playlist is served for at most
 * `playlistRevalidateMs` after the store last confirmed it, then the next request
 * checks the store's ETag (HEAD, single-flight like misses) and fetches the
 * playlist again only when it changed. When the store does not answer, the stale
 * playlist keeps being served and the check is tried again one interval later.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createWriteStream, type Stats } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as timeout } from 'node:timers/promises';
import { type AppError, errors, isAppError } from '@mediavault/core/errors';
import type { ObjectInfo, Storage } from '@mediavault/core/storage/types';
import { LRUCache } from 'lru-cache';
import { isPlaylist } from './media-headers.ts';

/**
 * How a request was served: from disk without asking the store (`hit`), fetched first
 * (`miss`), a playlist checked with the store first (`revalidated`, replaced when it had
 * changed), or a playlist the store could not confirm, served as it was (`stale`).
 */
export type CacheOutcome = 'hit' | 'miss' | 'revalidated' | 'stale';

export interface CachedFile {
  filePath: string;
  stats: Stats;
  outcome: CacheOutcome;
  /** Playlists: when the store last confirmed this copy (ms since the epoch); the response's Age. */
  confirmedAtMs?: number;
  /** `stale` only: why the store could not confirm it. */
  storeFailure?: AppError;
}

interface CacheEvents {
  hit: [previewPath: string];
  miss: [previewPath: string];
  /** A request waits on (or starts) the check of a playlist whose interval has run out. */
  revalidate: [previewPath: string];
}

/** Emits 'hit', 'miss' and 'revalidate' with the preview path as each lookup is decided (for metrics and tests). */
export interface PreviewCache extends EventEmitter<CacheEvents> {
  /** Resolves to the file on local disk, fetching it first on a miss. Throws AppError not_found / unavailable. */
  open(previewPath: string): Promise<CachedFile>;
  readonly stats: { hits: number; misses: number; revalidations: number; stale: number };
}

export interface PreviewCacheOptions {
  cacheDir: string;
  previews: Storage;
  /** A cached playlist is served this long after the store confirmed it, then checked again. */
  playlistRevalidateMs: number;
  /**
   * Longest wait for the store's first answer (a HEAD, or the headers of a GET) before
   * the store counts as unreachable: an outage that drops packets would otherwise hold
   * requests until the TCP connect gives up, minutes later.
   */
  storeAnswerTimeoutMs: number;
  /** Milliseconds since the epoch, like Date.now. */
  now: () => number;
}

/** What the edge last learnt of a cached playlist from the store. */
interface PlaylistCheck {
  /** When the store last confirmed the cached copy; undefined when it never has since this process started. */
  confirmedAtMs: number | undefined;
  /** The store's validator for that copy; null when it gave none (every check then refetches). */
  validator: string | null;
  /** No check before this (set one interval after a success, or after a failed check). */
  nextCheckAtMs: number;
}

const PARTIAL_DIR = '.partial';
// One entry per cached playlist; past this many the least recently used is forgotten,
// which only means its next request checks the store again.
const MAX_PLAYLIST_CHECKS = 100_000;

export function createPreviewCache(options: PreviewCacheOptions): PreviewCache {
  const { previews, now } = options;
  const root = resolve(options.cacheDir);
  const partialDir = join(root, PARTIAL_DIR);
  const pulls = new Map<string, Promise<void>>();
  const revalidations = new Map<string, Promise<void>>();
  const playlistChecks = new LRUCache<string, PlaylistCheck>({ max: MAX_PLAYLIST_CHECKS });
  const counters = { hits: 0, misses: 0, revalidations: 0, stale: 0 };

  function localPath(previewPath: string): string {
    const filePath = resolve(root, ...previewPath.split('/'));
    // The route already refuses traversal; this is the last line should a caller forget.
    if (!filePath.startsWith(root + sep) || filePath.startsWith(partialDir + sep)) {
      throw errors.forbidden(`path escapes the edge cache: ${previewPath}`);
    }
    return filePath;
  }

  function storeAnswer<T>(operation: Promise<T>, previewPath: string, discardLate?: (late: T) => void) {
    return withinDeadline(operation, options.storeAnswerTimeoutMs, previewPath, discardLate);
  }

  /** GET into a temp file, then rename into place: the cached copy is replaced whole or not at all. */
  async function download(previewPath: string, filePath: string): Promise<void> {
    let body: Readable;
    try {
      body = await storeAnswer(previews.get(previewPath), previewPath, (late) => late.destroy());
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

  /** The store's description of a playlist, read before its bytes so a change in between is never missed. */
  async function headPlaylist(previewPath: string): Promise<ObjectInfo | null> {
    try {
      return await storeAnswer(previews.head(previewPath), previewPath);
    } catch (err) {
      throw storageFailure(err, previewPath);
    }
  }

  async function fetchIntoCache(previewPath: string, filePath: string): Promise<void> {
    if (!isPlaylist(previewPath)) return download(previewPath, filePath);
    const askedAtMs = now();
    const info = await headPlaylist(previewPath);
    if (!info) throw errors.notFound(`preview ${previewPath}`);
    await download(previewPath, filePath);
    recordConfirmed(previewPath, askedAtMs, validatorOf(info));
  }

  function recordConfirmed(previewPath: string, askedAtMs: number, validator: string | null): void {
    playlistChecks.set(previewPath, {
      confirmedAtMs: askedAtMs,
      validator,
      nextCheckAtMs: askedAtMs + options.playlistRevalidateMs,
    });
  }

  /**
   * Asks the store whether the cached playlist is still current: unchanged → only the
   * check is recorded; changed → fetched again; gone → dropped (the store said no such key).
   * Throws AppError unavailable when the store does not answer.
   */
  async function revalidate(previewPath: string, filePath: string): Promise<void> {
    const askedAtMs = now();
    const known = playlistChecks.get(previewPath);
    try {
      const info = await headPlaylist(previewPath);
      if (!info) {
        playlistChecks.delete(previewPath);
        await rm(filePath, { force: true });
        throw errors.notFound(`preview ${previewPath}`);
      }
      const validator = validatorOf(info);
      if (validator === null || known?.validator !== validator) await download(previewPath, filePath);
      recordConfirmed(previewPath, askedAtMs, validator);
    } catch (err) {
      if (isAppError(err) && err.code === 'unavailable') {
        // The copy we have is served; the store is left alone until the next interval.
        playlistChecks.set(previewPath, {
          confirmedAtMs: known?.confirmedAtMs,
          validator: known?.validator ?? null,
          nextCheckAtMs: now() + options.playlistRevalidateMs,
        });
      }
      throw err;
    }
  }

  function singleFlight(flights: Map<string, Promise<void>>, previewPath: string, run: () => Promise<void>) {
    let pending = flights.get(previewPath);
    if (!pending) {
      pending = run().finally(() => flights.delete(previewPath));
      flights.set(previewPath, pending);
    }
    return pending;
  }

  /**
   * When the store last confirmed the cached copy. A playlist cached before this process
   * started has no check yet: its file's time is when it was fetched, so the age reported
   * from it never understates the copy's age.
   */
  function confirmedAt(previewPath: string, stats: Stats): number {
    return playlistChecks.get(previewPath)?.confirmedAtMs ?? stats.mtimeMs;
  }

  async function openPlaylist(previewPath: string, filePath: string, cached: Stats): Promise<CachedFile> {
    const check = playlistChecks.get(previewPath);
    if (check && now() < check.nextCheckAtMs) {
      // Checked within the interval (or a check just failed): no store I/O until it runs out.
      counters.hits++;
      cache.emit('hit', previewPath);
      return { filePath, stats: cached, outcome: 'hit', confirmedAtMs: confirmedAt(previewPath, cached) };
    }
    const pending = singleFlight(revalidations, previewPath, () => revalidate(previewPath, filePath));
    cache.emit('revalidate', previewPath);
    try {
      await pending;
    } catch (err) {
      if (!isAppError(err) || err.code !== 'unavailable') throw err;
      counters.stale++;
      const confirmedAtMs = confirmedAt(previewPath, cached);
      return { filePath, stats: cached, outcome: 'stale', confirmedAtMs, storeFailure: err };
    }
    counters.revalidations++;
    const stats = await statFile(filePath);
    if (!stats) throw errors.unavailable(`preview ${previewPath} vanished from the edge cache`);
    return { filePath, stats, outcome: 'revalidated', confirmedAtMs: confirmedAt(previewPath, stats) };
  }

  const cache = Object.assign(new EventEmitter<CacheEvents>(), {
    stats: counters,
    async open(previewPath: string): Promise<CachedFile> {
      const filePath = localPath(previewPath);
      const cached = await statFile(filePath);
      if (cached && isPlaylist(previewPath)) return openPlaylist(previewPath, filePath, cached);
      if (cached) {
        counters.hits++;
        cache.emit('hit', previewPath);
        return { filePath, stats: cached, outcome: 'hit' };
      }
      counters.misses++;
      const fetched = singleFlight(pulls, previewPath, () => fetchIntoCache(previewPath, filePath));
      cache.emit('miss', previewPath);
      await fetched;
      const stats = await statFile(filePath);
      if (!stats) throw errors.unavailable(`preview ${previewPath} vanished from the edge cache`);
      if (!isPlaylist(previewPath)) return { filePath, stats, outcome: 'miss' };
      return { filePath, stats, outcome: 'miss', confirmedAtMs: confirmedAt(previewPath, stats) };
    },
  });
  return cache;
}

/** What tells one version of an object from the next: the ETag, else size and modification time. */
export function validatorOf(info: ObjectInfo): string | null {
  if (info.etag) return `etag:${info.etag}`;
  if (info.lastModified) return `size:${info.size}:modified:${info.lastModified.getTime()}`;
  return null;
}

/**
 * The store's answer, or AppError unavailable once `timeoutMs` passes without one. The
 * operation cannot be cancelled, so a late answer is handed to `discardLate` (to close a body).
 */
async function withinDeadline<T>(
  operation: Promise<T>,
  timeoutMs: number,
  previewPath: string,
  discardLate?: (late: T) => void,
): Promise<T> {
  const timer = new AbortController();
  let timedOut = false;
  const deadline = timeout(timeoutMs, undefined, { signal: timer.signal }).then(() => {
    timedOut = true;
    throw errors.unavailable(`the previews store did not answer within ${timeoutMs} ms for ${previewPath}`);
  });
  try {
    return await Promise.race([operation, deadline]);
  } finally {
    timer.abort();
    if (timedOut)
      operation.then(
        (late) => discardLate?.(late),
        () => {},
      );
  }
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
 * The store said "no such key": a 404 the player may retry later (the preview is still
 * being rendered). Any other failure — refused or dropped connections, a store error, a
 * body cut short — means the store is unreachable: a 503, never a cached failure.
 */
function storageFailure(err: unknown, previewPath: string): AppError {
  if (isAppError(err) && err.code === 'not_found') return errors.notFound(`preview ${previewPath}`);
  if (isAppError(err) && err.code === 'unavailable') return err;
  const reason = isAppError(err) ? err.message : ((err as Error)?.message ?? String(err));
  return errors.unavailable(`could not fetch ${previewPath} into the edge cache: ${reason}`);
}
