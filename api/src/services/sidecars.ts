/** Documents that travel with media, stored content-addressed in the docs store. */
import { createHash } from 'node:crypto';
import { withTransaction } from '@mediavault/core/db/pool';
import { errors } from '@mediavault/core/errors';
import { sidecarKey } from '@mediavault/core/keys';
import { recordActivity } from '@mediavault/core/catalogue/activity';
import { attachSidecar } from '@mediavault/core/catalogue/sidecars-store';
import { findOrgVersions } from '@mediavault/core/catalogue/versions-store';
import type { ApiDeps, RequestContext } from '../deps.ts';
import { authorizeAsset } from './access.ts';

export const maxSidecarBytes = 10 * 1024 * 1024;

/** Stores the document once and attaches it to every version (each keeps one copy per kind and content). */
export async function createSidecar(
  { pool, storages }: ApiDeps,
  { caller, requestId }: RequestContext,
  input: { versionIds: string[]; kind: 'ascmhl' | 'document'; name: string; content: string },
): Promise<{ sha256: string; size: number; sidecarIds: string[] }> {
  const { kind, name, content } = input;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(content))
    throw errors.badRequest('content is not base64', { field: 'body.content' });
  const bytes = Buffer.from(content, 'base64');
  if (bytes.length > maxSidecarBytes) throw errors.payloadTooLarge('a sidecar may be at most 10 MiB');
  const versionIds = [...new Set(input.versionIds)];
  const versions = await findOrgVersions(pool, caller.organizationId, versionIds);
  if (versions.length !== versionIds.length) throw errors.notFound('version');
  for (const assetId of new Set(versions.map((v) => v.assetId)))
    await authorizeAsset(pool, caller, assetId, 'asset.promote');

  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const key = sidecarKey(sha256);
  if (!(await storages.docs.head(key)))
    await storages.docs.put(key, bytes, { checksumSha256: createHash('sha256').update(bytes).digest('base64') });
  const sidecarIds = await withTransaction(pool, async (db) => {
    const ids = await attachSidecar(db, versionIds, {
      kind,
      name: name.normalize('NFC'),
      storageKey: key,
      sha256,
      meta: { size: bytes.length },
    });
    await recordActivity(db, {
      organizationId: caller.organizationId,
      actorUserId: caller.userId,
      action: 'sidecar.attach',
      subjectType: 'sidecar',
      subjectId: sha256,
      requestId,
      data: { kind, name, versions: versionIds.length },
    });
    return ids;
  });
  return { sha256, size: bytes.length, sidecarIds };
}
