/**
 * Content-Type and Cache-Control for preview files, chosen by extension. Preview
 * files are derived from a content-addressed master, so everything but the
 * playlists is immutable; playlists stay short so a re-rendered ladder shows up.
 */
import { extname } from 'node:path';

const contentTypes: Record<string, string> = {
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.m4s': 'video/iso.segment',
  '.mp4': 'video/mp4',
  '.ts': 'video/mp2t',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.json': 'application/json',
  '.vtt': 'text/vtt',
};

export const playlistCacheControl = 'public, max-age=60';
export const immutableCacheControl = 'public, max-age=31536000, immutable';

export function contentTypeFor(previewPath: string): string {
  return contentTypes[extname(previewPath).toLowerCase()] ?? 'application/octet-stream';
}

export function cacheControlFor(previewPath: string): string {
  return extname(previewPath).toLowerCase() === '.m3u8' ? playlistCacheControl : immutableCacheControl;
}
