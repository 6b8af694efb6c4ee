import type { PoolClient } from '../db/pool.ts';
import { decidePromotionTarget, normalizeCollectionPath, type PromotionMapping } from '../promotion.ts';

/**
 * Writes a promotion into the catalogue, inside the caller's transaction:
 * collections for the mapping's path, then the asset and version the promotion
 * rules decide on. The master row must already exist. Used by the promotion job
 * (after the bytes are verified) and by the api's dedup path (bytes already in masters).
 */
export async function recordPromotion(
  db: PoolClient,
  input: {
    organizationId: string;
    userId: string | null;
    mapping: PromotionMapping & { projectId: string };
    fileName: string;
    sha256: string;
    size: number;
    contentType: string | null;
  },
): Promise<{ assetId: string; versionId: string; created: boolean; versionNumber: number }> {
  const segments = normalizeCollectionPath(input.mapping.collectionPath);
  const collectionId = await ensureCollections(db, input.mapping.projectId, segments);
  const name = (input.mapping.assetName ?? input.fileName).normalize('NFC').trim();

  // Serialise promotions onto the same asset (by id, or by name in one collection) so two
  // files cannot race into two assets or two version numbers; others run side by side.
  const lockKey = input.mapping.assetId ? `promote:asset:${input.mapping.assetId}` : `promote:name:${input.mapping.projectId}:${collectionId ?? ''}:${name}`;
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey]);

  const explicitAsset = input.mapping.assetId ? await loadAsset(db, input.organizationId, input.mapping.projectId, { id: input.mapping.assetId }) : null;
  const sameNameAsset = input.mapping.assetId ? null : await loadAsset(db, input.organizationId, input.mapping.projectId, { name, collectionId });

  const target = decidePromotionTarget({ mapping: input.mapping, fileName: input.fileName, sha256: input.sha256, explicitAsset, sameNameAsset });
  if (target.kind === 'existing-version') {
    const { rows } = await db.query<{ number: number }>('SELECT number FROM versions WHERE id = $1', [target.versionId]);
    return { assetId: target.assetId, versionId: target.versionId, created: false, versionNumber: rows[0]!.number };
  }
  let assetId: string;
  if (target.kind === 'new-asset') {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO assets (organization_id, project_id, collection_id, name, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [input.organizationId, input.mapping.projectId, collectionId, target.name, input.userId],
    );
    assetId = rows[0]!.id;
  } else {
    assetId = target.assetId;
    await db.query('UPDATE assets SET updated_at = now() WHERE id = $1', [assetId]);
  }
  const { rows } = await db.query<{ id: string; number: number }>(
    `INSERT INTO versions (asset_id, number, sha256, size, original_name, content_type, created_by)
     VALUES ($1, (SELECT coalesce(max(number), 0) + 1 FROM versions WHERE asset_id = $1), $2, $3, $4, $5, $6)
     RETURNING id, number`,
    [assetId, input.sha256, input.size, input.fileName, input.contentType, input.userId],
  );
  return { assetId, versionId: rows[0]!.id, created: true, versionNumber: rows[0]!.number };
}

async function ensureCollections(db: PoolClient, projectId: string, segments: string[]): Promise<string | null> {
  let parentId: string | null = null;
  for (let i = 0; i < segments.length; i++) {
    const path = segments.slice(0, i + 1).join('/');
    const { rows }: { rows: { id: string }[] } = await db.query(
      `INSERT INTO collections (project_id, parent_id, name, path) VALUES ($1, $2, $3, $4)
       ON CONFLICT (project_id, path) DO UPDATE SET path = EXCLUDED.path
       RETURNING id`,
      [projectId, parentId, segments[i], path],
    );
    parentId = rows[0]!.id;
  }
  return parentId;
}

async function loadAsset(
  db: PoolClient,
  organizationId: string,
  projectId: string,
  by: { id: string } | { name: string; collectionId: string | null },
): Promise<{ id: string; versionShas: Record<string, string> } | null> {
  const { rows } = 'id' in by
    ? await db.query<{ id: string }>('SELECT id FROM assets WHERE id = $1 AND organization_id = $2 AND project_id = $3', [by.id, organizationId, projectId])
    : await db.query<{ id: string }>(
        'SELECT id FROM assets WHERE project_id = $1 AND collection_id IS NOT DISTINCT FROM $2 AND name = $3',
        [projectId, by.collectionId, by.name],
      );
  if (rows.length === 0) return null;
  const assetId = rows[0]!.id;
  const versions = await db.query<{ id: string; sha256: string }>('SELECT id, sha256 FROM versions WHERE asset_id = $1', [assetId]);
  return { id: assetId, versionShas: Object.fromEntries(versions.rows.map((v) => [v.id, v.sha256])) };
}
