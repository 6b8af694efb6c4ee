/**
 * Object key layout. Masters are content-addressed by sha256 so the same bytes
 * always land on the same key, whatever project they were uploaded to; previews
 * live under per-kind prefixes keyed by the master's sha256.
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
