/**
 * Versions by content and their technical metadata: deduplication lookups (is this
 * sha256 already a master of the organization?), the version a playback plays, and
 * what the probe and preview jobs record on every version of the same bytes.
 */
import type { Queryable } from '../db/pool.ts';
import type { VersionMeta } from './assets-store.ts';

export interface VersionRef {
  versionId: string;
  assetId: string;
  size: number;
}

/**
 * The first version of each of these sha256s in the given projects (dedup for a batch): only
 * projects the caller may read, so a hash reveals nothing of content held elsewhere.
 */
export async function findVersionsByShaInProjects(
  db: Queryable,
  projectIds: string[],
  sha256s: string[],
): Promise<Map<string, VersionRef>> {
  if (projectIds.length === 0) return new Map();
  const { rows } = await db.query<{ sha256: string; id: string; asset_id: string; size: number }>(
    `SELECT DISTINCT ON (v.sha256) v.sha256, v.id, v.asset_id, v.size FROM versions v JOIN assets a ON a.id = v.asset_id
      WHERE v.sha256 = ANY($1::text[]) AND a.project_id = ANY($2::uuid[]) ORDER BY v.sha256, v.created_at`,
    [[...new Set(sha256s)], projectIds],
  );
  return new Map(rows.map((r) => [r.sha256, { versionId: r.id, assetId: r.asset_id, size: Number(r.size) }]));
}

/** The first version of a sha256 in the given projects, with what a new version of it needs. */
export async function findVersionByShaInProjects(
  db: Queryable,
  projectIds: string[],
  sha256: string,
): Promise<(VersionRef & { originalName: string; contentType: string | null }) | null> {
  if (projectIds.length === 0) return null;
  const { rows } = await db.query<{
    id: string;
    asset_id: string;
    size: number;
    original_name: string;
    content_type: string | null;
  }>(
    `SELECT v.id, v.asset_id, v.size, v.original_name, v.content_type FROM versions v JOIN assets a ON a.id = v.asset_id
      WHERE v.sha256 = $1 AND a.project_id = ANY($2::uuid[]) ORDER BY v.created_at LIMIT 1`,
    [sha256, projectIds],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    versionId: row.id,
    assetId: row.asset_id,
    size: Number(row.size),
    originalName: row.original_name,
    contentType: row.content_type,
  };
}

/** Versions of the organization among these ids, with their assets. */
export async function findOrgVersions(
  db: Queryable,
  organizationId: string,
  versionIds: string[],
): Promise<{ versionId: string; assetId: string }[]> {
  const { rows } = await db.query<{ id: string; asset_id: string }>(
    `SELECT v.id, v.asset_id FROM versions v JOIN assets a ON a.id = v.asset_id
      WHERE v.id = ANY($1::uuid[]) AND a.organization_id = $2`,
    [versionIds, organizationId],
  );
  return rows.map((r) => ({ versionId: r.id, assetId: r.asset_id }));
}

export interface PlaybackVersion {
  id: string;
  sha256: string;
  meta: VersionMeta;
  originalName: string;
  previewStatus: string | null;
}

/** The given version of an asset, or its latest, with the state of its preview of `profile`. */
export async function findPlaybackVersion(
  db: Queryable,
  assetId: string,
  versionId: string | null,
  profile: string,
): Promise<PlaybackVersion | null> {
  const { rows } = await db.query<{
    id: string;
    sha256: string;
    meta: VersionMeta;
    original_name: string;
    preview_status: string | null;
  }>(
    `SELECT v.id, v.sha256, v.meta, v.original_name, p.status AS preview_status FROM versions v
       LEFT JOIN previews p ON p.sha256 = v.sha256 AND p.profile = $3
      WHERE v.asset_id = $1 AND ($2::uuid IS NULL OR v.id = $2) ORDER BY v.number DESC LIMIT 1`,
    [assetId, versionId, profile],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id,
    sha256: row.sha256,
    meta: row.meta,
    originalName: row.original_name,
    previewStatus: row.preview_status,
  };
}

/** Merges metadata into every version of these bytes (probe and preview results belong to the content). */
export async function mergeVersionMeta(db: Queryable, sha256: string, meta: Record<string, unknown>): Promise<void> {
  await db.query(`UPDATE versions SET meta = meta || $2::jsonb WHERE sha256 = $1`, [sha256, JSON.stringify(meta)]);
}

/** Marks versions whose bytes are not media the tools read (no probe or preview is built for them). */
export async function markVersionsNotMedia(db: Queryable, versionIds: string[]): Promise<void> {
  if (versionIds.length === 0) return;
  await db.query(`UPDATE versions SET meta = meta || '{"content":"other"}'::jsonb WHERE id = ANY($1::uuid[])`, [
    versionIds,
  ]);
}

export interface CollectionMember {
  versionId: string;
  originalName: string;
  size: number;
  sha256: string;
}

/** The latest version of every asset in the same collection as this version (an IMF package's files). */
export async function findCollectionLatestVersions(db: Queryable, versionId: string): Promise<CollectionMember[]> {
  const { rows } = await db.query<{ version_id: string; original_name: string; size: number; sha256: string }>(
    `WITH here AS (SELECT a.project_id, a.collection_id FROM versions v JOIN assets a ON a.id = v.asset_id WHERE v.id = $1)
     SELECT DISTINCT ON (a.id) v.id AS version_id, v.original_name, v.size, v.sha256
       FROM versions v JOIN assets a ON a.id = v.asset_id, here
      WHERE a.project_id = here.project_id AND a.collection_id IS NOT DISTINCT FROM here.collection_id
      ORDER BY a.id, v.number DESC`,
    [versionId],
  );
  return rows.map((r) => ({
    versionId: r.version_id,
    originalName: r.original_name,
    size: Number(r.size),
    sha256: r.sha256,
  }));
}

/** Versions probed as IMF compositions (CPLs) in the same collection as this version. */
export async function findCompositionsNear(
  db: Queryable,
  versionId: string,
): Promise<{ versionId: string; sha256: string }[]> {
  const { rows } = await db.query<{ id: string; sha256: string }>(
    `WITH here AS (SELECT a.project_id, a.collection_id FROM versions v JOIN assets a ON a.id = v.asset_id WHERE v.id = $1)
     SELECT v.id, v.sha256 FROM versions v JOIN assets a ON a.id = v.asset_id, here
      WHERE v.meta->'imf'->>'kind' = 'imf-cpl'
        AND a.project_id = here.project_id AND a.collection_id IS NOT DISTINCT FROM here.collection_id`,
    [versionId],
  );
  return rows.map((r) => ({ versionId: r.id, sha256: r.sha256 }));
}
