/**
 * Uploads: every SQL statement about the `uploads` table. Status changes go only
 * through the transition functions below, each guarded by the states its
 * transition (core/src/transitions.ts) may start from.
 */
import type { PoolClient, Queryable } from '../db/pool.ts';
import { selectColumns } from './columns.ts';
import { uploadTransitions, type UploadStatus, type UploadTransitionName } from '../transitions.ts';

export interface UploadMapping {
  projectId: string;
  collectionPath?: string;
  assetName?: string;
  assetId?: string;
}

export interface UploadError {
  code: string;
  message: string;
  [detail: string]: unknown;
}

export interface Upload {
  id: string;
  organizationId: string;
  projectId: string;
  userId: string;
  name: string;
  size: number;
  contentType: string | null;
  declaredSha256: string | null;
  stagingKey: string;
  storageUploadId: string | null;
  partSize: number;
  partCount: number;
  /** multipart: parts through presigned URLs; put: one PUT of the whole object signed for its sha256. */
  transfer: 'multipart' | 'put';
  status: UploadStatus;
  /** Where promotion puts the version; set when promotion is asked for. */
  mapping: UploadMapping | null;
  error: UploadError | null;
  assetId: string | null;
  versionId: string | null;
  /** SHA256 when the store verifies every part against a checksum given at creation (s3). */
  checksumAlgorithm: 'SHA256' | null;
  /** Digest the store computed of the staged bytes, valid while the object keeps stagedEtag. */
  stagedSha256: string | null;
  stagedEtag: string | null;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

const uploadColumnMap: { [K in keyof Upload]: string } = {
  id: 'id',
  organizationId: 'organization_id',
  projectId: 'project_id',
  userId: 'user_id',
  name: 'name',
  size: 'size',
  contentType: 'content_type',
  declaredSha256: 'declared_sha256',
  stagingKey: 'staging_key',
  storageUploadId: 'storage_upload_id',
  partSize: 'part_size',
  partCount: 'part_count',
  transfer: 'transfer',
  status: 'status',
  mapping: 'mapping',
  error: 'error',
  assetId: 'asset_id',
  versionId: 'version_id',
  checksumAlgorithm: 'checksum_algorithm',
  stagedSha256: 'staged_sha256',
  stagedEtag: 'staged_etag',
  expiresAt: 'expires_at',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
};
const uploadColumns = selectColumns<Upload>(uploadColumnMap);

const fromStates = (name: UploadTransitionName): readonly UploadStatus[] => uploadTransitions[name].from;

export type NewMultipartUpload = Pick<
  Upload,
  | 'id'
  | 'organizationId'
  | 'projectId'
  | 'userId'
  | 'name'
  | 'size'
  | 'contentType'
  | 'declaredSha256'
  | 'stagingKey'
  | 'partSize'
  | 'partCount'
  | 'checksumAlgorithm'
  | 'expiresAt'
> & { storageUploadId: string };

export async function insertMultipartUpload(db: Queryable, upload: NewMultipartUpload): Promise<void> {
  await db.query(
    `INSERT INTO uploads (id, organization_id, project_id, user_id, name, size, content_type, declared_sha256,
                          staging_key, storage_upload_id, part_size, part_count, status, expires_at, checksum_algorithm)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'uploading', $13, $14)`,
    [
      upload.id,
      upload.organizationId,
      upload.projectId,
      upload.userId,
      upload.name,
      upload.size,
      upload.contentType,
      upload.declaredSha256,
      upload.stagingKey,
      upload.storageUploadId,
      upload.partSize,
      upload.partCount,
      upload.expiresAt,
      upload.checksumAlgorithm,
    ],
  );
}

export interface NewWholeObjectUpload {
  id: string;
  name: string;
  size: number;
  contentType: string | null;
  sha256: string;
  stagingKey: string;
}

/** Uploads of one PUT each (a batch of small files), in one statement. */
export async function insertWholeObjectUploads(
  db: Queryable,
  owner: { organizationId: string; projectId: string; userId: string; expiresAt: Date },
  uploads: NewWholeObjectUpload[],
): Promise<void> {
  if (uploads.length === 0) return;
  await db.query(
    `INSERT INTO uploads (id, organization_id, project_id, user_id, name, size, content_type, declared_sha256,
                          staging_key, part_size, part_count, status, expires_at, transfer)
     SELECT f.id, $1, $2, $3, f.name, f.size, f.content_type, f.sha256, f.key, f.size, 1, 'uploading', $4, 'put'
       FROM unnest($5::uuid[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[])
            AS f(id, name, size, content_type, sha256, key)`,
    [
      owner.organizationId,
      owner.projectId,
      owner.userId,
      owner.expiresAt,
      uploads.map((u) => u.id),
      uploads.map((u) => u.name),
      uploads.map((u) => u.size),
      uploads.map((u) => u.contentType),
      uploads.map((u) => u.sha256),
      uploads.map((u) => u.stagingKey),
    ],
  );
}

/** An upload of the organization, or null (another organization's id reads as unknown). */
export async function findUpload(db: Queryable, organizationId: string, uploadId: string): Promise<Upload | null> {
  const { rows } = await db.query<Upload>(
    `SELECT ${uploadColumns} FROM uploads WHERE id = $1 AND organization_id = $2`,
    [uploadId, organizationId],
  );
  return rows[0] ?? null;
}

export async function findUploadIdByStagingKey(
  db: Queryable,
  organizationId: string,
  stagingKey: string,
): Promise<string | null> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM uploads WHERE staging_key = $1 AND organization_id = $2',
    [stagingKey, organizationId],
  );
  return rows[0]?.id ?? null;
}

/** Uploads by id; with an organization, only that organization's. */
export async function findUploads(db: Queryable, uploadIds: string[], organizationId?: string): Promise<Upload[]> {
  const { rows } = await db.query<Upload>(
    `SELECT ${uploadColumns} FROM uploads WHERE id = ANY($1::uuid[]) AND ($2::uuid IS NULL OR organization_id = $2)`,
    [uploadIds, organizationId ?? null],
  );
  return rows;
}

/**
 * Holds the upload's row until the caller's transaction ends: a second completion of the
 * same upload waits here, then finds it completed instead of assembling it a second time.
 */
export async function lockUpload(db: PoolClient, uploadId: string): Promise<Upload | null> {
  const { rows } = await db.query<Upload>(`SELECT ${uploadColumns} FROM uploads WHERE id = $1 FOR UPDATE`, [uploadId]);
  return rows[0] ?? null;
}

export interface ResumableUpload {
  /** Index of the file in the list asked about. */
  index: number;
  id: string;
  stagingKey: string;
  status: UploadStatus;
}

/**
 * Unfinished whole-object uploads of the same files (same name, size and sha256, by the
 * same user, in the project), not about to expire: a batch started again after a crash
 * takes them up instead of starting new ones. The newest per file.
 */
export async function findResumableWholeObjectUploads(
  db: Queryable,
  owner: { organizationId: string; projectId: string; userId: string },
  files: { name: string; size: number; sha256: string }[],
): Promise<ResumableUpload[]> {
  const { rows } = await db.query<{ ord: string; id: string; staging_key: string; status: UploadStatus }>(
    `SELECT DISTINCT ON (f.ord) f.ord, u.id, u.staging_key, u.status
       FROM unnest($4::text[], $5::bigint[], $6::text[]) WITH ORDINALITY AS f(name, size, sha256, ord)
       JOIN uploads u ON u.project_id = $2 AND u.declared_sha256 = f.sha256 AND u.name = f.name AND u.size = f.size
      WHERE u.organization_id = $1 AND u.user_id = $3 AND u.transfer = 'put' AND u.status IN ('uploading', 'uploaded')
        AND u.expires_at > now() + interval '5 minutes'
      ORDER BY f.ord, u.created_at DESC`,
    [
      owner.organizationId,
      owner.projectId,
      owner.userId,
      files.map((f) => f.name),
      files.map((f) => f.size),
      files.map((f) => f.sha256),
    ],
  );
  return rows.map((r) => ({ index: Number(r.ord) - 1, id: r.id, stagingKey: r.staging_key, status: r.status }));
}

/** Uploads in 'promoting' among these ids: what a batch of promotion jobs has to do. */
export async function findPromotingUploads(db: Queryable, uploadIds: string[]): Promise<Upload[]> {
  const { rows } = await db.query<Upload>(
    `SELECT ${uploadColumns} FROM uploads WHERE id = ANY($1::uuid[]) AND status = $2`,
    [uploadIds, 'promoting'],
  );
  return rows;
}

/** Unfinished uploads past their expiry, oldest first. */
export async function findExpiredUploads(db: Queryable, now: Date, limit: number): Promise<Upload[]> {
  const { rows } = await db.query<Upload>(
    `SELECT ${uploadColumns} FROM uploads WHERE status = ANY($1::text[]) AND expires_at < $2 ORDER BY expires_at LIMIT $3`,
    [fromStates('abort'), now, limit],
  );
  return rows;
}

// --- transitions ---------------------------------------------------------------------------

/** uploading → uploaded, with what the store knows of the staged bytes. Null: not in a state to complete. */
export async function markUploaded(
  db: Queryable,
  uploadId: string,
  staged: { stagedSha256: string | null; stagedEtag: string | null },
): Promise<Upload | null> {
  const { rows } = await db.query<Upload>(
    `UPDATE uploads SET status = $2, staged_sha256 = $3, staged_etag = $4, updated_at = now()
      WHERE id = $1 AND status = ANY($5::text[]) RETURNING ${uploadColumns}`,
    [uploadId, uploadTransitions.complete.to, staged.stagedSha256, staged.stagedEtag, fromStates('complete')],
  );
  return rows[0] ?? null;
}

/** uploaded|failed → promoting, with the mapping and the sha256 the promotion must verify. */
export async function markPromoting(
  db: Queryable,
  uploadId: string,
  promotion: { mapping: UploadMapping; declaredSha256: string },
): Promise<Upload | null> {
  const { rows } = await db.query<Upload>(
    `UPDATE uploads SET status = $2, mapping = $3, declared_sha256 = $4, error = NULL, updated_at = now()
      WHERE id = $1 AND status = ANY($5::text[]) RETURNING ${uploadColumns}`,
    [uploadId, uploadTransitions.promote.to, promotion.mapping, promotion.declaredSha256, fromStates('promote')],
  );
  return rows[0] ?? null;
}

export interface BatchMove {
  uploadId: string;
  transition: 'complete' | 'completeAndPromote' | 'promote';
  stagedSha256: string | null;
  stagedEtag: string | null;
  mapping: UploadMapping | null;
}

/**
 * Several uploads moved at once (a batch completion), each by its own transition. Only
 * uploads still in a state their transition starts from move: a concurrent call that got
 * there first wins, and the ids missing from the answer are where that call left them.
 */
export async function moveUploads(db: Queryable, moves: BatchMove[]): Promise<Upload[]> {
  if (moves.length === 0) return [];
  const { rows } = await db.query<Upload>(
    `UPDATE uploads u SET status = m.to_status, staged_sha256 = m.sha, staged_etag = m.etag,
            mapping = coalesce(m.mapping, u.mapping), error = NULL, updated_at = now()
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
            AS m(id, from_states, to_status, sha, etag, mapping)
      WHERE u.id = m.id AND u.status = ANY(string_to_array(m.from_states, ','))
      RETURNING ${selectColumns<Upload>(uploadColumnMap, 'u')}`,
    [
      moves.map((m) => m.uploadId),
      moves.map((m) => fromStates(m.transition).join(',')),
      moves.map((m) => uploadTransitions[m.transition].to),
      moves.map((m) => m.stagedSha256),
      moves.map((m) => m.stagedEtag),
      moves.map((m) => (m.mapping ? JSON.stringify(m.mapping) : null)),
    ],
  );
  return rows;
}

/** promoting → promoted for verified uploads whose versions were just recorded. */
export async function markPromoted(
  db: Queryable,
  promoted: { uploadId: string; assetId: string; versionId: string }[],
): Promise<string[]> {
  if (promoted.length === 0) return [];
  const { rows } = await db.query<{ id: string }>(
    `UPDATE uploads u SET status = $4, asset_id = p.asset_id, version_id = p.version_id, error = NULL, updated_at = now()
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS p(id, asset_id, version_id)
      WHERE u.id = p.id AND u.status = ANY($5::text[]) RETURNING u.id`,
    [
      promoted.map((p) => p.uploadId),
      promoted.map((p) => p.assetId),
      promoted.map((p) => p.versionId),
      uploadTransitions.finishPromotion.to,
      fromStates('finishPromotion'),
    ],
  );
  return rows.map((r) => r.id);
}

/** promoting → failed, with why; false when the upload was not promoting. */
export async function markPromotionFailed(db: Queryable, uploadId: string, error: UploadError): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE uploads SET status = $2, error = $3, updated_at = now() WHERE id = $1 AND status = ANY($4::text[])`,
    [uploadId, uploadTransitions.failPromotion.to, error, fromStates('failPromotion')],
  );
  return (rowCount ?? 0) > 0;
}

/** uploading → aborted; false when it was completed (or aborted) meanwhile. */
export async function markAborted(db: Queryable, uploadId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE uploads SET status = $2, updated_at = now() WHERE id = $1 AND status = ANY($3::text[])`,
    [uploadId, uploadTransitions.abort.to, fromStates('abort')],
  );
  return (rowCount ?? 0) > 0;
}
