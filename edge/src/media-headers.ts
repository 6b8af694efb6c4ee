/**
 * Content-Type and Cache-Control for preview files, chosen by extension. Preview
 * files are derived from a content-addressed master, so everything but the
 * playlists is immutable; playlists change when a preview is rebuilt or filled in
 * (rungs added after backpressure), so the edge rechecks them and players keep
 * them only as long as the edge itself may.
 */
import { extname } from 'node:path';

export const immutableCacheControl = 'public, max-age=31536000, immutable';

/** The worker publishes with the same types: one table, in core. */
export { previewContentType as contentTypeFor } from '@mediavault/core/media-types';

/** Playlists may be replaced in the store; every other preview file is written once. */
export function isPlaylist(previewPath: string): boolean {
  return extname(previewPath).toLowerCase() === '.m3u8';
}

/**
 * A playlist may be kept for the edge's revalidation interval, counted from when the edge
 * last checked it against the store: the edge sends that age as `Age`, so an HTTP cache
 * (browser or CDN) keeps it for what is left of the interval, and a change in the store
 * reaches a player within one interval end to end.
 */
export function playlistCacheControl(revalidateSeconds: number): string {
  return `public, max-age=${revalidateSeconds}`;
}

export function cacheControlFor(previewPath: string, playlistRevalidateSeconds: number): string {
  return isPlaylist(previewPath) ? playlistCacheControl(playlistRevalidateSeconds) : immutableCacheControl;
}
