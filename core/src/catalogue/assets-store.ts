/**
 * Assets and their versions as the api reads them: one asset with its versions,
 * a project's assets page by page, the version a playback plays, and the lookups
 * that tie content (by sha256) to the projects holding it.
 */
import type { Queryable } from '../db/pool.ts';
import { microsecondsIso, type KeysetPosition } from './columns.ts';
import { toPreview, type Preview } from './previews-store.ts';

export interface SidecarSummary {
  id: string;
  kind: string;
  name: string;
  sha256: string | null;
  meta: Record<string, unknown>;
}

export interface VersionMeta {
  video?: { frameRate?: { num: number; den: number } | null } | null;
  startTimecode?: string | null;
  technical?: Record<string, unknown> | null;
  loudness?: { integrated: number; lra: number; truePeak: number } | null;
  [more: string]: unknown;
}

export interface VersionDetail {
  id: string;
  number: number;
  sha256: string;
  size: number;
  originalName: string;
  contentType: string | null;
  meta: VersionMeta;
  sidecars: SidecarSummary[];
  createdAt: Date;
  preview: Preview | null;
}

export interface AssetDetail {
  id: string;
  projectId: string;
  collectionId: string | null;
  collectionPath: string | null;
  name: string;
  createdAt: Date;
  updatedAt: Date;
  /** Newest first. */
  versions: VersionDetail[];
}

/** An asset with every version, each with its sidecars and the preview of `profile`. */
export async function findAssetDetail(db: Queryable, assetId: string, profile: string): Promise<AssetDetail | null> {
  const { rows: assets } = await db.query<{
    id: string;
    project_id: string;
    collection_id: string | null;
    collection_path: string | null;
    name: string;
    created_at: Date;
    updated_at: Date;
  }>(
    `SELECT a.id, a.project_id, a.collection_id, c.path AS collection_path, a.name, a.created_at, a.updated_at
       FROM assets a LEFT JOIN collections c ON c.id = a.collection_id WHERE a.id = $1`,
    [assetId],
  );
  const asset = assets[0];
  if (!asset) return null;
  const { rows: versions } = await db.query<{
    id: string;
    number: number;
    sha256: string;
    size: number;
    original_name: string;
    content_type: string | null;
    meta: VersionMeta;
    created_at: Date;
    preview: Parameters<typeof toPreview>[0] | null;
    sidecars: SidecarSummary[];
  }>(
    `SELECT v.id, v.number, v.sha256, v.size, v.original_name, v.content_type, v.meta, v.created_at,
            row_to_json(p.*) AS preview,
            coalesce((SELECT json_agg(json_build_object('id', s.id, 'kind', s.kind, 'name', s.name, 'sha256', s.sha256,
                                                        'meta', s.meta) ORDER BY s.created_at)
                        FROM sidecars s WHERE s.version_id = v.id), '[]'::json) AS sidecars
       FROM versions v
       LEFT JOIN previews p ON p.sha256 = v.sha256 AND p.profile = $2
      WHERE v.asset_id = $1 ORDER BY v.number DESC`,
    [assetId, profile],
  );
  return {
    id: asset.id,
    projectId: asset.project_id,
    collectionId: asset.collection_id,
    collectionPath: asset.collection_path,
    name: asset.name,
    createdAt: asset.created_at,
    updatedAt: asset.updated_at,
    versions: versions.map((v) => ({
      id: v.id,
      number: v.number,
      sha256: v.sha256,
      size: Number(v.size),
      originalName: v.original_name,
      contentType: v.content_type,
      meta: v.meta,
      sidecars: v.sidecars,
      createdAt: v.created_at,
      // row_to_json gives the timestamp as text: the same instant as a Date for the response.
      preview: v.preview ? toPreview({ ...v.preview, updated_at: new Date(v.preview.updated_at) }) : null,
    })),
  };
}

export interface AssetSummary {
  id: string;
  projectId: string;
  collectionPath: string | null;
  name: string;
  createdAt: Date;
  latestVersion: { id: string; number: number; sha256: string; size: number } | null;
}

/** A page of a project's assets, newest first, and the cursor of the next page (null: last page). */
export async function listProjectAssets(
  db: Queryable,
  projectId: string,
  page: { after: KeysetPosition | null; limit: number },
): Promise<{ items: AssetSummary[]; next: KeysetPosition | null }> {
  const { rows } = await db.query<{
    id: string;
    project_id: string;
    name: string;
    created_at: Date;
    cursor_at: string;
    collection_path: string | null;
    v_id: string | null;
    v_number: number | null;
    v_sha256: string | null;
    v_size: number | null;
  }>(
    `SELECT a.id, a.project_id, a.name, a.created_at, ${microsecondsIso('a.created_at')} AS cursor_at,
            c.path AS collection_path,
            lv.id AS v_id, lv.number AS v_number, lv.sha256 AS v_sha256, lv.size AS v_size
       FROM assets a
       LEFT JOIN collections c ON c.id = a.collection_id
       LEFT JOIN LATERAL (SELECT id, number, sha256, size FROM versions WHERE asset_id = a.id
                           ORDER BY number DESC LIMIT 1) lv ON true
      WHERE a.project_id = $1 AND ($2::timestamptz IS NULL OR (a.created_at, a.id) < ($2::timestamptz, $3::uuid))
      ORDER BY a.created_at DESC, a.id DESC
      LIMIT $4`,
    [projectId, page.after?.createdAt ?? null, page.after?.id ?? null, page.limit + 1],
  );
  const items = rows.slice(0, page.limit);
  const last = items[items.length - 1];
  return {
    items: items.map((r) => ({
      id: r.id,
      projectId: r.project_id,
      collectionPath: r.collection_path,
      name: r.name,
      createdAt: r.created_at,
      latestVersion:
        r.v_id && r.v_number !== null && r.v_sha256 !== null
          ? { id: r.v_id, number: r.v_number, sha256: r.v_sha256, size: Number(r.v_size) }
          : null,
    })),
    next: rows.length > page.limit && last ? { createdAt: last.cursor_at, id: last.id } : null,
  };
}

/** The project of an asset of the organization, or null. */
export async function findAssetProjectId(
  db: Queryable,
  organizationId: string,
  assetId: string,
): Promise<string | null> {
  const { rows } = await db.query<{ project_id: string }>(
    'SELECT project_id FROM assets WHERE id = $1 AND organization_id = $2',
    [assetId, organizationId],
  );
  return rows[0]?.project_id ?? null;
}

/** Projects of the organization holding a version of these bytes. */
export async function findProjectsHoldingSha(db: Queryable, organizationId: string, sha256: string): Promise<string[]> {
  const { rows } = await db.query<{ project_id: string }>(
    `SELECT DISTINCT a.project_id FROM versions v JOIN assets a ON a.id = v.asset_id
      WHERE v.sha256 = $1 AND a.organization_id = $2`,
    [sha256, organizationId],
  );
  return rows.map((r) => r.project_id);
}
