/**
 * Object key layout. Masters are content-addressed by sha256 so the same bytes
 * always land on the same key, whatever project they were uploaded to; previews
 * live under per-kind prefixes keyed by the master's sha256, and watermarked sets
 * under a prefix of their own keyed by the master's sha256 and the watermark's key.
 */

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function isSha256Hex(value: string): boolean {
  return SHA256_HEX.test(value);
}

function assertSha(sha: string): string {
  if (!isSha256Hex(sha)) throw new Error(`not a lowercase hex sha256: ${JSON.stringify(sha)}`);
  return sha;
}

/** sha256/ab/cd/<sha> */
export function masterKey(sha: string): string {
  assertSha(sha);
  return `sha256/${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}`;
}

/** Documents that travel with media (ASC MHL manifests, delivery PDFs), content-addressed in the docs store. */
export function sidecarKey(sha256: string): string {
  return `sidecars/${sha256.slice(0, 2)}/${sha256}`;
}

/**
 * staging/<orgId>/<uploadId>_<safe file name>: the org prefix lets the api refuse another
 * tenant's key. One level below the org, not a folder per upload: on a store backed by a file
 * system (the fs driver, s3rver, MinIO) a folder per upload is a directory created and removed
 * for every file of a bulk ingest. On ext4 without a journal the allocator skips inodes removed
 * in the last minutes, scanning past each, so that churn slows every later file.
 *
 * Files started together in one batch share a folder, staging/<orgId>/<batchId>/<uploadId>_<name>:
 * completing the batch then lists that folder once instead of asking for each object (one
 * LIST instead of up to 500 HEADs; a folder per batch, not per file).
 */
export function stagingKey(orgId: string, uploadId: string, fileName: string, batchId?: string): string {
  const safe =
    fileName
      .normalize('NFC')
      .replace(/[^\p{L}\p{N}._-]+/gu, '_')
      .slice(0, 200) || 'file';
  return batchId === undefined
    ? `staging/${orgId}/${uploadId}_${safe}`
    : `staging/${orgId}/${batchId}/${uploadId}_${safe}`;
}

/** The organization of a staging key (also of the batch form and the earlier staging/<orgId>/<uploadId>/<name>). */
export function stagingKeyOrg(key: string): string | null {
  const m = /^staging\/([^/]+)\/[^/]+(?:\/[^/]+)?$/.exec(key);
  return m ? m[1]! : null;
}

/**
 * The folder a staging key shares with the other files of its batch (`staging/<orgId>/<batchId>/`),
 * or null for a key of its own. Keys of the earlier per-upload folder form answer their folder
 * too, which holds that one file: listing it is as exact as asking for the object.
 */
export function stagingFolder(key: string): string | null {
  const m = /^(staging\/[^/]+\/[^/]+\/)[^/]+$/.exec(key);
  return m ? m[1]! : null;
}

export const previewKeys = {
  hlsPrefix: (sha: string) => `hls/${assertSha(sha)}/`,
  hlsMaster: (sha: string) => `hls/${assertSha(sha)}/master.m3u8`,
  mp4: (sha: string) => `mp4/${assertSha(sha)}.mp4`,
  thumbsPrefix: (sha: string) => `thumbs/${assertSha(sha)}/`,
  poster: (sha: string) => `thumbs/${assertSha(sha)}/poster.jpg`,
  waveform: (sha: string) => `waveform/${assertSha(sha)}.json`,
};

/**
 * Every edge-servable path for a sha, relative to the previews root. The edge
 * uses this to refuse a signed token being used for another sha's files.
 */
export function previewPathBelongsTo(path: string, sha: string): boolean {
  assertSha(sha);
  if (path.includes('..') || path.includes('//') || path.includes('\\')) return false;
  return (
    path.startsWith(`hls/${sha}/`) ||
    path === `mp4/${sha}.mp4` ||
    path.startsWith(`thumbs/${sha}/`) ||
    path === `waveform/${sha}.json`
  );
}

const WATERMARK_KEY = /^[0-9a-f]{32}$/;

/** A watermarked set's key (core/src/watermark.ts, watermarkKey): 32 lowercase hex digits. */
export function isWatermarkKey(value: string): boolean {
  return WATERMARK_KEY.test(value);
}

function assertWatermarkKey(key: string): string {
  if (!isWatermarkKey(key)) throw new Error(`not a watermark key: ${JSON.stringify(key)}`);
  return key;
}

/**
 * A watermarked rendition set: watermarks/<sha>/<key>/ holding hls/ (master.m3u8 and a folder
 * per rendition), preview.mp4 and poster.jpg, the same relative layout as the worker builds.
 * Nothing of a clean preview lives under it, and nothing of it under a clean preview's prefixes.
 */
export const watermarkKeys = {
  prefix: (sha: string, key: string) => `watermarks/${assertSha(sha)}/${assertWatermarkKey(key)}/`,
  hlsMaster: (sha: string, key: string) => `${watermarkKeys.prefix(sha, key)}hls/master.m3u8`,
  mp4: (sha: string, key: string) => `${watermarkKeys.prefix(sha, key)}preview.mp4`,
  poster: (sha: string, key: string) => `${watermarkKeys.prefix(sha, key)}poster.jpg`,
  /** A file of the set by its path inside the set (`hls/720p/seg_00001.m4s`). */
  file: (sha: string, key: string, relativePath: string) => {
    if (!isPlainRelativePath(relativePath)) throw new Error(`not a path inside a set: ${JSON.stringify(relativePath)}`);
    return `${watermarkKeys.prefix(sha, key)}${relativePath}`;
  },
};

function isPlainRelativePath(path: string): boolean {
  return path !== '' && !path.startsWith('/') && !path.includes('..') && !path.includes('//') && !path.includes('\\');
}

/**
 * Every edge-servable path of one watermarked set, relative to the previews root: a token
 * scoped to that set reaches its files and nothing else (not the clean preview, not another
 * watermark of the same content). previewPathBelongsTo never answers true for these paths.
 */
export function watermarkPathBelongsTo(path: string, sha: string, key: string): boolean {
  const prefix = watermarkKeys.prefix(sha, key);
  return path.startsWith(prefix) && isPlainRelativePath(path.slice(prefix.length));
}
