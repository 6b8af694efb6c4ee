/**
 * Content-Type and Cache-Control for preview files, chosen by extension. Preview
 * files are derived from a content-addressed master, so everything but the
 * playlists is immutable; playlists stay short so a re-rendered ladder shows up.
 */
import { extname } from 'node:path';

export const playlistCacheControl = 'public, max-age=60';
export const immutableCacheControl = 'public, max-age=31536000, immutable';

/** The worker publishes with the same types: one table, in core. */
export { previewContentType as contentTypeFor } from '@mediavault/core/media-types';

export function cacheControlFor(previewPath: string): string {
  return extname(previewPath).toLowerCase() === '.m3u8' ? playlistCacheControl : immutableCacheControl;
}
