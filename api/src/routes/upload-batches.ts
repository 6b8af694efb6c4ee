import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { forEachLimited } from '@mediavault/core/concurrency';
import { withTransaction } from '@mediavault/core/db/pool';
import { AppError, errors } from '@mediavault/core/errors';
import { queues, sendOptions } from '@mediavault/core/jobs';
import { stagingFolder, stagingKey } from '@mediavault/core/keys';
import type { ObjectInfo, Storage } from '@mediavault/core/storage/types';
import { normalizeAssetName, normalizeCollectionPath } from '@mediavault/core/promotion';
import { recordActivities, type ActivityInput } from '@mediavault/core/catalogue/activity';
import type { Action } from '@mediavault/core/roles';
import { requireCaller } from '../plugins/auth.ts';
import { authorizeAsset, authorizeProject, type Caller } from '../services/access.ts';
import { errorResponses, Nullable, Sha256, Uuid } from '../schemas/common.ts';
import { Base64Sha256, Mapping, checkWholeObject, findOrgVersionsBySha, type UploadRow } from './uploads.ts';

const tags = ['uploads'];
export const MAX_FILES_PER_BATCH = 500;
/** Above this a file goes through presignUpload (multipart): a whole-object PUT is all or nothing. */
export const MAX_WHOLE_OBJECT_BYTES = 64 * 1024 ** 2;
/** Staged objects (or batch folders) looked up at once. */
const LOOKUPS_IN_FLIGHT = 16;

const ItemError = Type.Object({ code: Type.String(), message: Type.String() });

const CompletedItem = Type.Object({
  uploadId: Uuid,
  status: Type.Union(
    ['uploading', 'uploaded', 'promoting', 'promoted', 'failed', 'aborted'].map((s) => Type.Literal(s)),
  ),
  assetId: Nullable(Uuid),
  versionId: Nullable(Uuid),
  error: Nullable(ItemError),
});
type CompletedItem = Static<typeof CompletedItem>;

/**
 * Small files in bulk. A NAS ingest is mostly small files, where four round trips
 * and a dozen catalogue writes per file (presign, PUT, complete, promote) cost far
 * more than the bytes: these routes take up to 500 files per call, each sent in
 * one presigned PUT of the whole object signed for its sha256.
 */
export const uploadBatchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { pool, storages, config, boss } = app.deps;
  const staging = storages.staging;

  app.post(
    '/api/uploads/batch',
    {
      schema: {
        operationId: 'presignUploadBatch',
        tags,
        summary: 'Start up to 500 small uploads at once, or learn which bytes are already in masters',
        description: `For files of at most ${MAX_WHOLE_OBJECT_BYTES} bytes whose sha256 is known before sending. Each file gets one URL that takes the whole file in one PUT with the header x-amz-checksum-sha256 (the base64 sha256, given back as checksumSha256); the store refuses other bytes. Files already in masters answer "duplicate" and get no URL. Finish with completeUploadBatch. Invalid input anywhere refuses the whole batch and starts nothing.`,
        body: Type.Object(
          {
            projectId: Uuid,
            files: Type.Array(
              Type.Object(
                {
                  name: Type.String({ minLength: 1, maxLength: 1024 }),
                  size: Type.Integer({ minimum: 0 }),
                  sha256: Sha256,
                  contentType: Type.Optional(Type.String({ maxLength: 255 })),
                },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: MAX_FILES_PER_BATCH },
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            files: Type.Array(
              Type.Union([
                Type.Object({
                  status: Type.Literal('upload'),
                  uploadId: Uuid,
                  stagingKey: Type.String(),
                  url: Type.String(),
                  checksumSha256: Base64Sha256,
                  stored: Type.Boolean({
                    description:
                      'true when this is an unfinished upload of the same file (same name, size and sha256, started by you) whose bytes the store already holds: skip the PUT and complete it',
                  }),
                }),
                Type.Object({
                  status: Type.Literal('duplicate'),
                  sha256: Sha256,
                  versionId: Uuid,
                  assetId: Uuid,
                  size: Type.Integer(),
                }),
              ]),
              { description: 'one entry per file, in the order given' },
            ),
            expiresAt: Type.String({
              format: 'date-time',
              description: 'when the URLs expire (presignUploadParts with part 1 gives a fresh one)',
            }),
            uploadExpiresAt: Type.String({ format: 'date-time', description: 'after this the uploads are aborted' }),
          }),
          ...errorResponses(400, 401, 403, 404, 413),
        },
      },
    },
    async (request) => {
      const caller = requireCaller(request);
      const { projectId, files } = request.body;
      await authorizeProject(pool, caller, projectId, 'upload.create');
      files.forEach((file, i) => {
        const field = `body.files[${i}]`;
        try {
          // The whole name, not its last segment: promotion makes it the asset name, which takes no folders.
          normalizeAssetName(file.name);
        } catch (err) {
          throw err instanceof AppError
            ? errors.badRequest(`${field}.name: ${err.message}`, { field: `${field}.name` })
            : err;
        }
        if (file.size > config.maxUploadBytes)
          throw errors.payloadTooLarge(
            `${field}: size ${file.size} exceeds the maximum object size of ${config.maxUploadBytes} bytes`,
          );
        if (file.size > MAX_WHOLE_OBJECT_BYTES)
          throw errors.badRequest(
            `${field}: size ${file.size} is over ${MAX_WHOLE_OBJECT_BYTES} bytes; send it with presignUpload (multipart)`,
            { field: `${field}.size` },
          );
      });

      const existing = await findOrgVersionsBySha(
        pool,
        caller.organizationId,
        files.map((f) => f.sha256),
      );
      // The same batch started again after a crash: its unfinished uploads are found by content, not created twice.
      const { rows: unfinished } = await pool.query<UploadRow>(
        `SELECT DISTINCT ON (f.ord) f.ord, u.id, u.staging_key, u.status FROM unnest($4::text[], $5::bigint[], $6::text[]) WITH ORDINALITY AS f(name, size, sha256, ord)
         JOIN uploads u ON u.project_id = $2 AND u.declared_sha256 = f.sha256 AND u.name = f.name AND u.size = f.size
        WHERE u.organization_id = $1 AND u.user_id = $3 AND u.transfer = 'put' AND u.status IN ('uploading', 'uploaded') AND u.expires_at > now() + interval '5 minutes'
        ORDER BY f.ord, u.created_at DESC`,
        [
          caller.organizationId,
          projectId,
          caller.userId,
          files.map((f) => f.name.normalize('NFC')),
          files.map((f) => f.size),
          files.map((f) => f.sha256),
        ],
      );
      const resumed = new Map(unfinished.map((u) => [Number(u.ord) - 1, u]));
      const staged = await lookUpStaged(
        staging,
        unfinished.filter((u) => u.status !== 'uploaded').map((u) => u.staging_key as string),
      );
      const stored = new Set(
        unfinished.filter((u) => u.status === 'uploaded' || staged.get(u.staging_key)).map((u) => u.id as string),
      );
      const fresh = files.flatMap((file, index) =>
        existing.has(file.sha256) || resumed.has(index) ? [] : [{ file, index, uploadId: randomUUID() }],
      );
      const batchId = randomUUID();
      const keys = fresh.map(({ file, uploadId }) => stagingKey(caller.organizationId, uploadId, file.name, batchId));
      const urlsExpireAt = new Date(Date.now() + config.uploadUrlTtlSeconds * 1000);
      const uploadExpiresAt = new Date(Date.now() + config.uploadExpiryHours * 3_600_000);
      if (fresh.length > 0) {
        await withTransaction(pool, async (db) => {
          await db.query(
            `INSERT INTO uploads (id, organization_id, project_id, user_id, name, size, content_type, declared_sha256, staging_key, part_size, part_count, status, expires_at, transfer)
           SELECT f.id, $1, $2, $3, f.name, f.size, f.content_type, f.sha256, f.key, f.size, 1, 'uploading', $4, 'put'
             FROM unnest($5::uuid[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[]) AS f(id, name, size, content_type, sha256, key)`,
            [
              caller.organizationId,
              projectId,
              caller.userId,
              uploadExpiresAt,
              fresh.map((f) => f.uploadId),
              fresh.map((f) => f.file.name.normalize('NFC')),
              fresh.map((f) => f.file.size),
              fresh.map((f) => f.file.contentType ?? null),
              fresh.map((f) => f.file.sha256),
              keys,
            ],
          );
          await recordActivities(
            db,
            fresh.map(({ file, uploadId }) => ({
              organizationId: caller.organizationId,
              actorUserId: caller.userId,
              action: 'upload.create',
              subjectType: 'upload',
              subjectId: uploadId,
              projectId,
              requestId: request.id,
              data: { name: file.name, size: file.size, transfer: 'put' },
            })),
          );
        });
      }
      const urls = await Promise.all(
        fresh.map(({ file }, i) =>
          staging.presignPut(keys[i]!, config.uploadUrlTtlSeconds, { checksumSha256: hexToBase64(file.sha256) }),
        ),
      );
      const started = new Map(
        fresh.map(({ file, index, uploadId }, i) => [
          index,
          {
            status: 'upload' as const,
            uploadId,
            stagingKey: keys[i]!,
            url: urls[i]!,
            checksumSha256: hexToBase64(file.sha256),
            stored: false,
          },
        ]),
      );
      for (const [index, u] of resumed) {
        if (existing.has(files[index]!.sha256)) continue;
        const checksumSha256 = hexToBase64(files[index]!.sha256);
        started.set(index, {
          status: 'upload',
          uploadId: u.id,
          stagingKey: u.staging_key,
          checksumSha256,
          stored: stored.has(u.id),
          url: await staging.presignPut(u.staging_key, config.uploadUrlTtlSeconds, { checksumSha256 }),
        });
      }
      const answers = files.map((file, index) => {
        const found = existing.get(file.sha256);
        return (
          started.get(index) ?? {
            status: 'duplicate' as const,
            sha256: file.sha256,
            versionId: found!.versionId,
            assetId: found!.assetId,
            size: found!.size,
          }
        );
      });
      return { files: answers, expiresAt: urlsExpireAt.toISOString(), uploadExpiresAt: uploadExpiresAt.toISOString() };
    },
  );

  app.post(
    '/api/uploads/batch/complete',
    {
      schema: {
        operationId: 'completeUploadBatch',
        tags,
        summary: 'Complete up to 500 whole-object uploads at once, promoting those that say so',
        description:
          "Each upload must have been started by presignUploadBatch and its file PUT. With `promote` (the mapping, as for promote) the upload goes on to promotion with the sha256 declared when it was started: a promotion job verifies the staged bytes, copies them into masters and creates the asset/version; watch the upload (events or getUpload). Each upload answers on its own: one that cannot be completed (not PUT yet, expired, another project's rights) reports an error and the others go on. An invalid mapping refuses the whole batch and changes nothing.",
        body: Type.Object(
          {
            uploads: Type.Array(
              Type.Object(
                {
                  uploadId: Uuid,
                  etag: Type.Optional(
                    Type.String({
                      minLength: 1,
                      description: 'the ETag the PUT answered; the staged object must still have it',
                    }),
                  ),
                  promote: Type.Optional(Mapping),
                },
                { additionalProperties: false },
              ),
              { minItems: 1, maxItems: MAX_FILES_PER_BATCH },
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            uploads: Type.Array(CompletedItem, { description: 'one entry per upload, in the order given' }),
          }),
          ...errorResponses(400, 401),
        },
      },
    },
    async (request) => {
      const caller = requireCaller(request);
      const items = request.body.uploads;
      items.forEach((item, i) => {
        if (!item.promote) return;
        const field = `body.uploads[${i}].promote`;
        try {
          normalizeCollectionPath(item.promote.collectionPath);
          if (item.promote.assetName !== undefined) normalizeAssetName(item.promote.assetName);
        } catch (err) {
          throw err instanceof AppError ? errors.badRequest(`${field}: ${err.message}`, { field }) : err;
        }
      });

      const { rows } = await pool.query<UploadRow>(
        'SELECT * FROM uploads WHERE id = ANY($1::uuid[]) AND organization_id = $2',
        [items.map((i) => i.uploadId), caller.organizationId],
      );
      const uploads = new Map(rows.map((r) => [r.id as string, r]));
      const access = accessCache(caller);
      const results = new Map<string, CompletedItem>();
      const fail = (uploadId: string, err: unknown, row?: UploadRow) => {
        const error =
          err instanceof AppError
            ? { code: err.code, message: err.message }
            : { code: 'internal', message: (err as Error).message };
        results.set(uploadId, {
          uploadId,
          status: row?.status ?? 'uploading',
          assetId: row?.asset_id ?? null,
          versionId: row?.version_id ?? null,
          error,
        });
      };
      const current = (row: UploadRow) => ({
        uploadId: row.id,
        status: row.status,
        assetId: row.asset_id,
        versionId: row.version_id,
        error: row.error
          ? { code: String(row.error.code ?? 'failed'), message: String(row.error.message ?? '') }
          : null,
      });

      // What each upload can move to, decided before anything is written.
      const toComplete: {
        row: UploadRow;
        stagedSha256: string | null;
        stagedEtag: string | null;
        mapping: Record<string, unknown> | null;
      }[] = [];
      const toPromote: { row: UploadRow; mapping: Record<string, unknown> }[] = [];
      const pending: { item: (typeof items)[number]; row: UploadRow }[] = [];
      for (const item of items) {
        const row = uploads.get(item.uploadId);
        if (!row) {
          fail(item.uploadId, errors.notFound('upload'));
          continue;
        }
        try {
          await access.check(row.project_id, 'upload.create', 'upload');
          if (item.promote) {
            const projectId = item.promote.projectId ?? row.project_id;
            await access.check(projectId, 'asset.promote', 'project');
            // The promotion looks the asset up in the mapping's project: another project's asset would fail there on every retry.
            if (
              item.promote.assetId &&
              ((await access.checkAsset(item.promote.assetId)) as { projectId: string }).projectId !== projectId
            ) {
              throw errors.badRequest(
                `asset ${item.promote.assetId} is not in project ${projectId}: give the asset's projectId in the mapping`,
                { field: 'promote.assetId' },
              );
            }
          }
        } catch (err) {
          fail(item.uploadId, err, row);
          continue;
        }
        if (row.transfer !== 'put')
          fail(item.uploadId, errors.badRequest('a multipart upload is completed with completeUpload'), row);
        else if (row.status === 'uploading') pending.push({ item, row });
        else if (row.status === 'uploaded' && item.promote)
          toPromote.push({ row, mapping: { ...item.promote, projectId: item.promote.projectId ?? row.project_id } });
        else results.set(row.id, current(row));
      }

      const unexpired = pending.filter(({ row }) => {
        if (new Date(row.expires_at).getTime() >= Date.now()) return true;
        fail(row.id, errors.gone('the upload has expired; start a new one'), row);
        return false;
      });
      const stagedObjects = await lookUpStaged(
        staging,
        unexpired.map(({ row }) => row.staging_key as string),
      );
      for (const { item, row } of unexpired) {
        try {
          const staged = checkWholeObject(row, stagedObjects.get(row.staging_key) ?? null, item.etag, staging.driver);
          toComplete.push({
            row,
            ...staged,
            mapping: item.promote ? { ...item.promote, projectId: item.promote.projectId ?? row.project_id } : null,
          });
        } catch (err) {
          fail(row.id, err, row);
        }
      }

      const promoted: string[] = [];
      if (toComplete.length + toPromote.length > 0) {
        await withTransaction(pool, async (db) => {
          const moves = [
            ...toComplete.map((c) => ({
              id: c.row.id as string,
              from: 'uploading',
              to: c.mapping ? 'promoting' : 'uploaded',
              sha: c.stagedSha256,
              etag: c.stagedEtag,
              mapping: c.mapping,
            })),
            ...toPromote.map((p) => ({
              id: p.row.id as string,
              from: 'uploaded',
              to: 'promoting',
              sha: p.row.staged_sha256 as string | null,
              etag: p.row.staged_etag as string | null,
              mapping: p.mapping,
            })),
          ];
          // Moved only from the state checked above: a concurrent call that got there first wins, this one reports the state it left.
          const { rows: moved } = await db.query<UploadRow>(
            `UPDATE uploads u SET status = m.to_status, staged_sha256 = m.sha, staged_etag = m.etag, mapping = coalesce(m.mapping, u.mapping), error = NULL, updated_at = now()
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[]) AS m(id, from_status, to_status, sha, etag, mapping)
            WHERE u.id = m.id AND u.status = m.from_status RETURNING u.*`,
            [
              moves.map((m) => m.id),
              moves.map((m) => m.from),
              moves.map((m) => m.to),
              moves.map((m) => m.sha),
              moves.map((m) => m.etag),
              moves.map((m) => (m.mapping ? JSON.stringify(m.mapping) : null)),
            ],
          );
          const activities: ActivityInput[] = [];
          const base = {
            organizationId: caller.organizationId,
            actorUserId: caller.userId,
            subjectType: 'upload',
            requestId: request.id,
          };
          const wasUploading = new Set(toComplete.map((c) => c.row.id as string));
          for (const row of moved) {
            results.set(row.id, current(row));
            if (wasUploading.has(row.id))
              activities.push({
                ...base,
                action: 'upload.complete',
                subjectId: row.id,
                projectId: row.project_id,
                data: { size: Number(row.size) },
              });
            if (row.status === 'promoting') {
              promoted.push(row.id);
              activities.push({
                ...base,
                action: 'upload.promote',
                subjectId: row.id,
                projectId: row.mapping?.projectId ?? row.project_id,
                data: { sha256: row.declared_sha256, mapping: row.mapping },
              });
            }
          }
          await recordActivities(db, activities);
          if (promoted.length > 0) {
            await db.query(
              `INSERT INTO jobs (organization_id, kind, subject, state) SELECT $1, 'promote', s, 'queued' FROM unnest($2::text[]) AS s`,
              [caller.organizationId, promoted],
            );
          }
        });
        // Uploads another call moved first: report where they are now.
        const missing = [
          ...toComplete.map((c) => c.row.id as string),
          ...toPromote.map((p) => p.row.id as string),
        ].filter((id) => !results.has(id));
        if (missing.length > 0) {
          const { rows: now } = await pool.query<UploadRow>('SELECT * FROM uploads WHERE id = ANY($1::uuid[])', [
            missing,
          ]);
          for (const row of now) results.set(row.id, current(row));
        }
      }
      // One insert for the whole batch; a job per upload, so each retries (and fails) on its own.
      if (promoted.length > 0) {
        await boss.insert(
          queues.promote,
          promoted.map((uploadId) => ({ data: { uploadId, requestId: request.id }, ...sendOptions.promote(uploadId) })),
        );
      }
      return { uploads: items.map((item) => results.get(item.uploadId)!) };
    },
  );

  /** Rights per project (and asset) asked once per call, however many uploads share them. */
  function accessCache(caller: Caller) {
    const projects = new Map<string, Promise<unknown>>();
    const assets = new Map<string, Promise<unknown>>();
    const settle = (p: Promise<unknown>) => {
      p.catch(() => {});
      return p;
    };
    return {
      check(projectId: string, action: Action, what: 'upload' | 'project') {
        const key = `${projectId}:${action}`;
        if (!projects.has(key)) {
          projects.set(
            key,
            settle(
              authorizeProject(pool, caller, projectId, action).catch((err) => {
                throw err instanceof AppError && err.code === 'not_found' ? errors.notFound(what) : err;
              }),
            ),
          );
        }
        return projects.get(key)!;
      },
      checkAsset(assetId: string) {
        if (!assets.has(assetId)) assets.set(assetId, settle(authorizeAsset(pool, caller, assetId, 'asset.promote')));
        return assets.get(assetId)!;
      },
    };
  }
};

/**
 * The staged objects behind keys (null: not stored). Keys that share a batch folder are looked
 * up with one listing of it: on S3 one LIST instead of a HEAD per file, which is most of what a
 * batch completion asks of the store (on s3rver a HEAD costs 1.3 ms of its single thread, a
 * listed key 0.3 ms). A key of its own, or alone in its folder, gets a HEAD.
 */
async function lookUpStaged(staging: Storage, keys: string[]): Promise<Map<string, ObjectInfo | null>> {
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

function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}
