import { extname } from 'node:path';

/** Content types of preview files by extension: the worker publishes with them, the edge serves with them. */
const previewContentTypes: Record<string, string> = {
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

export function previewContentType(path: string): string {
  return previewContentTypes[extname(path).toLowerCase()] ?? 'application/octet-stream';
}
