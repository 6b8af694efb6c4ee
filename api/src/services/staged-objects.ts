/**
 * What the staging store holds for an upload: the parts stored so far (resume), the
 * whole object a presigned PUT left, and many staged objects looked up at once.
 */
import { forEachLimited } from '@mediavault/core/concurrency';
import { errors } from '@mediavault/core/errors';
import { stagingFolder } from '@mediavault/core/keys';
import type { Upload } from '@mediavault/core/catalogue/uploads-store';
import { unquoteEtag } from '@mediavault/core/storage/etags';
import type { ObjectInfo, Storage, StorageCapabilities, UploadedPart } from '@mediavault/core/storage/types';

/** Staged objects (or batch folders) looked up at once. */
const LOOKUPS_IN_FLIGHT = 16;

export function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

/** Parts the store holds for an upload still in progress (resume); a whole-object upload has part 1 once its PUT landed. */
export async function storedParts(staging: Storage, upload: Upload): Promise<UploadedPart[]> {
  if (upload.transfer !== 'put') return staging.listParts(upload.stagingKey, upload.storageUploadId ?? '');
  const head = await staging.head(upload.stagingKey);
  // The store took this object only with the sha256 its URL was signed for.
  return head
    ? [{ partNumber: 1, etag: head.etag ?? '', size: head.size, checksumSha256: hexToBase64(upload.declaredSha256!) }]
    : [];
}

/**
 * Checks the staged object of a whole-object upload (one PUT, signed for the declared
 * sha256) and says what promotion may take as its digest. A store whose signed PUT proves
 * the sha256 (fs hashes every byte it stages and refuses a mismatch) makes the declared
 * sha256 the staged bytes' own for as long as the object keeps this ETag; otherwise (S3)
 * the promotion job reads and hashes the staged bytes itself.
 */
export function checkWholeObject(
  upload: Upload,
  head: ObjectInfo | null,
  etag: string | undefined,
  capabilities: StorageCapabilities,
): { stagedSha256: string | null; stagedEtag: string | null } {
  if (!head)
    throw errors.uploadIncomplete(
      'the file has not been PUT to its URL yet (or the PUT failed): send it, then complete',
    );
  if (head.size !== upload.size)
    throw errors.badRequest(`the staged object has ${head.size} bytes, the upload declared ${upload.size}`, {
      field: 'size',
    });
  if (etag !== undefined && head.etag !== undefined && unquoteEtag(etag) !== unquoteEtag(head.etag)) {
    throw errors.badRequest(
      `ETag ${etag} does not match the staged object (${head.etag}): it was replaced since that PUT`,
      {
        field: 'etag',
      },
    );
  }
  return capabilities.signedPutProvesSha256 && head.etag
    ? { stagedSha256: upload.declaredSha256, stagedEtag: head.etag }
    : { stagedSha256: null, stagedEtag: null };
}

/**
 * The staged objects behind keys (null: not stored). Keys that share a batch folder are looked
 * up with one listing of it: on S3 one LIST instead of a HEAD per file, which is most of what a
 * batch completion asks of the store (on s3rver a HEAD costs 1.3 ms of its single thread, a
 * listed key 0.3 ms). A key of its own, or alone in its folder, gets a HEAD.
 */
export async function lookUpStaged(staging: Storage, keys: string[]): Promise<Map<string, ObjectInfo | null>> {
  const byFolder = new Map<string, string[]>();
  const alone: string[] = [];
  for (const key of keys) {
    const folder = stagingFolder(key);
    if (folder === null) alone.push(key);
    else if (byFolder.has(folder)) byFolder.get(folder)!.push(key);
    else byFolder.set(folder, [key]);
  }
  const listed: [string, string[]][] = [];
  for (const [folder, members] of byFolder) {
    if (members.length > 1) listed.push([folder, members]);
    else alone.push(...members);
  }
  const found = new Map<string, ObjectInfo | null>();
  await forEachLimited(listed, LOOKUPS_IN_FLIGHT, async ([folder, members]) => {
    const inFolder = new Map<string, ObjectInfo>();
    for await (const info of staging.list(folder)) inFolder.set(info.key, info);
    for (const key of members) found.set(key, inFolder.get(key) ?? null);
  });
  await forEachLimited(alone, LOOKUPS_IN_FLIGHT, async (key) => {
    found.set(key, await staging.head(key));
  });
  return found;
}
