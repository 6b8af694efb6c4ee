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
  const lockKey = input.mapping.assetId
    ? `promote:asset:${input.mapping.assetId}`
    : `promote:name:${input.mapping.projectId}:${collectionId ?? ''}:${name}`;
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lockKey]);

  const explicitAsset = input.mapping.assetId
    ? await loadAsset(db, input.organizationId, input.mapping.projectId, { id: input.mapping.assetId })
    : null;
  const sameNameAsset = input.mapping.assetId
    ? null
    : await loadAsset(db, input.organizationId, input.mapping.projectId, { name, collectionId });

  const target = decidePromotionTarget({
    mapping: input.mapping,
    fileName: input.fileName,
    sha256: input.sha256,
    explicitAsset,
    sameNameAsset,
  });
  if (target.kind === 'existing-version') {
    const { rows } = await db.query<{ number: number }>('SELECT number FROM versions WHERE id = $1', [
      target.versionId,
    ]);
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
  const { rows } =
    'id' in by
      ? await db.query<{ id: string }>(
          'SELECT id FROM assets WHERE id = $1 AND organization_id = $2 AND project_id = $3',
          [by.id, organizationId, projectId],
        )
      : await db.query<{ id: string }>(
          'SELECT id FROM assets WHERE project_id = $1 AND collection_id IS NOT DISTINCT FROM $2 AND name = $3',
          [projectId, by.collectionId, by.name],
        );
  if (rows.length === 0) return null;
  const assetId = rows[0]!.id;
  const versions = await db.query<{ id: string; sha256: string }>(
    'SELECT id, sha256 FROM versions WHERE asset_id = $1',
    [assetId],
  );
  return { id: assetId, versionShas: Object.fromEntries(versions.rows.map((v) => [v.id, v.sha256])) };
}

export type PromotionInput = Parameters<typeof recordPromotion>[1];
export type PromotionResult = Awaited<ReturnType<typeof recordPromotion>>;

/**
 * recordPromotion for many files in one transaction with a constant number of
 * statements (a promotion worker takes its jobs in batches; a NAS ingest is
 * thousands of small files, where per-file round trips are the cost). Files
 * with an explicit asset, or sharing an asset name with another file of the
 * batch, go through recordPromotion one by one after the rest (their order
 * decides version numbers). Results are in input order.
 */
export async function recordPromotions(db: PoolClient, inputs: PromotionInput[]): Promise<PromotionResult[]> {
  const prepared = inputs.map((input) => ({
    input,
    name: (input.mapping.assetName ?? input.fileName).normalize('NFC').trim(),
  }));
  const collectionIds = new Map<string, string | null>();
  for (const { input } of prepared) {
    const key = `${input.mapping.projectId}\u0000${input.mapping.collectionPath ?? ''}`;
    if (!collectionIds.has(key))
      collectionIds.set(
        key,
        await ensureCollections(db, input.mapping.projectId, normalizeCollectionPath(input.mapping.collectionPath)),
      );
  }
  const items = prepared.map(({ input, name }) => {
    const collectionId = collectionIds.get(`${input.mapping.projectId}\u0000${input.mapping.collectionPath ?? ''}`)!;
    return {
      input,
      name,
      collectionId,
      lockKey: `promote:name:${input.mapping.projectId}:${collectionId ?? ''}:${name}`,
    };
  });
  const keyCount = new Map<string, number>();
  for (const item of items) keyCount.set(item.lockKey, (keyCount.get(item.lockKey) ?? 0) + 1);
  const together = items.filter((item) => !item.input.mapping.assetId && keyCount.get(item.lockKey) === 1);
  const results = new Map<(typeof items)[number], PromotionResult>();

  if (together.length > 0) {
    // The same locks recordPromotion takes, all at once, in one order (no deadlock between batches).
    await db.query(
      'SELECT pg_advisory_xact_lock(hashtext(k)) FROM (SELECT DISTINCT unnest($1::text[]) AS k ORDER BY 1) AS keys',
      [together.map((t) => t.lockKey)],
    );
    const { rows: assets } = await db.query<{
      id: string;
      project_id: string;
      collection_id: string | null;
      name: string;
    }>(
      `SELECT a.id, a.project_id, a.collection_id, a.name FROM assets a
         JOIN unnest($1::uuid[], $2::uuid[], $3::text[]) AS w(project_id, collection_id, name)
           ON a.project_id = w.project_id AND a.collection_id IS NOT DISTINCT FROM w.collection_id AND a.name = w.name`,
      [
        together.map((t) => t.input.mapping.projectId),
        together.map((t) => t.collectionId),
        together.map((t) => t.name),
      ],
    );
    const assetKey = (projectId: string, collectionId: string | null, name: string) =>
      `${projectId}\u0000${collectionId ?? ''}\u0000${name}`;
    const sameName = new Map(assets.map((a) => [assetKey(a.project_id, a.collection_id, a.name), a.id]));
    const { rows: versions } =
      assets.length === 0
        ? { rows: [] }
        : await db.query<{ id: string; asset_id: string; sha256: string; number: number }>(
            'SELECT id, asset_id, sha256, number FROM versions WHERE asset_id = ANY($1::uuid[])',
            [assets.map((a) => a.id)],
          );
    const versionsOf = new Map<string, { id: string; sha256: string; number: number }[]>();
    for (const v of versions) versionsOf.set(v.asset_id, [...(versionsOf.get(v.asset_id) ?? []), v]);

    const newAssets: { item: (typeof together)[number]; name: string }[] = [];
    const newVersions: { item: (typeof together)[number]; assetId: string | null }[] = [];
    for (const item of together) {
      const assetId = sameName.get(assetKey(item.input.mapping.projectId, item.collectionId, item.name)) ?? null;
      const known = assetId ? (versionsOf.get(assetId) ?? []) : [];
      const target = decidePromotionTarget({
        mapping: item.input.mapping,
        fileName: item.input.fileName,
        sha256: item.input.sha256,
        explicitAsset: null,
        sameNameAsset: assetId
          ? { id: assetId, versionShas: Object.fromEntries(known.map((v) => [v.id, v.sha256])) }
          : null,
      });
      if (target.kind === 'existing-version') {
        results.set(item, {
          assetId: target.assetId,
          versionId: target.versionId,
          created: false,
          versionNumber: known.find((v) => v.id === target.versionId)!.number,
        });
      } else if (target.kind === 'new-asset') {
        newAssets.push({ item, name: target.name });
        newVersions.push({ item, assetId: null });
      } else {
        newVersions.push({ item, assetId: target.assetId });
      }
    }
    const createdAssets = new Map<(typeof together)[number], string>();
    if (newAssets.length > 0) {
      const { rows } = await db.query<{ id: string; project_id: string; collection_id: string | null; name: string }>(
        `INSERT INTO assets (organization_id, project_id, collection_id, name, created_by)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[])
         RETURNING id, project_id, collection_id, name`,
        [
          newAssets.map((a) => a.item.input.organizationId),
          newAssets.map((a) => a.item.input.mapping.projectId),
          newAssets.map((a) => a.item.collectionId),
          newAssets.map((a) => a.name),
          newAssets.map((a) => a.item.input.userId),
        ],
      );
      // Names are distinct within this part of the batch (one lock key each): match the rows by them.
      const created = new Map(rows.map((r) => [assetKey(r.project_id, r.collection_id, r.name), r.id]));
      for (const { item, name } of newAssets)
        createdAssets.set(item, created.get(assetKey(item.input.mapping.projectId, item.collectionId, name))!);
    }
    const stacked = newVersions.filter((v) => v.assetId).map((v) => v.assetId!);
    if (stacked.length > 0)
      await db.query('UPDATE assets SET updated_at = now() WHERE id = ANY($1::uuid[])', [stacked]);
    if (newVersions.length > 0) {
      const assetIds = newVersions.map((v) => v.assetId ?? createdAssets.get(v.item)!);
      const { rows } = await db.query<{ id: string; asset_id: string; number: number }>(
        `INSERT INTO versions (asset_id, number, sha256, size, original_name, content_type, created_by)
         SELECT w.asset_id, (SELECT coalesce(max(number), 0) + 1 FROM versions v WHERE v.asset_id = w.asset_id), w.sha256, w.size, w.original_name, w.content_type, w.created_by
           FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::uuid[]) AS w(asset_id, sha256, size, original_name, content_type, created_by)
         RETURNING id, asset_id, number`,
        [
          assetIds,
          newVersions.map((v) => v.item.input.sha256),
          newVersions.map((v) => v.item.input.size),
          newVersions.map((v) => v.item.input.fileName),
          newVersions.map((v) => v.item.input.contentType),
          newVersions.map((v) => v.item.input.userId),
        ],
      );
      // One new version per asset in this part of the batch: match them by asset.
      const byAsset = new Map(rows.map((r) => [r.asset_id, r]));
      newVersions.forEach((v, i) => {
        const row = byAsset.get(assetIds[i]!)!;
        results.set(v.item, { assetId: assetIds[i]!, versionId: row.id, created: true, versionNumber: row.number });
      });
    }
  }
  for (const item of items) if (!results.has(item)) results.set(item, await recordPromotion(db, item.input));
  return items.map((item) => results.get(item)!);
}
