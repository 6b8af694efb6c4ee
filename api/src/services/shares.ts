/**
 * Share links (issue 14): a member with `share.create` in a project sends a client a link to
 * one asset (a chosen version, or always the latest), a list of assets, or a collection,
 * under a policy (expiry, an optional password, downloads, guest comments, a watermark).
 *
 * The link is `${PUBLIC_API_URL}/s/#<token>`: the token (256 random bits, shown once, stored
 * as its sha256) is in the fragment, which browsers send to no server and in no Referer. The
 * page exchanges it (and the password, when the share has one) for a guest session: the
 * review session cookie, scoped to the share and to no user. A guest session is not a caller:
 * every member route refuses it (api/src/plugins/auth.ts); only the share-session routes serve
 * it, with the share's content only. Its edge URLs live five minutes (the page renews them
 * while it plays) and carry the share's id, so a revocation reaches the edge at once through
 * the share's marker object in the previews store (edge/src/share-markers.ts).
 *
 * Every change of a share and everything a guest does is in the share's audit trail
 * (share_audit), which its trigger also publishes as events.
 */
import type { Readable } from 'node:stream';
import { type Algorithm, hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { stringify } from 'csv-stringify/sync';
import { withTransaction, type Queryable } from '@mediavault/core/db/pool';
import { AppError, errors, isAppError } from '@mediavault/core/errors';
import { defaultPreviewProfile } from '@mediavault/core/jobs';
import { masterKey, previewKeys, watermarkKeys } from '@mediavault/core/keys';
import { normaliseWatermarkSpec } from '@mediavault/core/watermark';
import {
  anchorTimecodes,
  checkAnchor,
  checkAnnotation,
  checkCommentText,
  type Annotation,
} from '@mediavault/core/review';
import {
  cleanGuestName,
  downloadGranted,
  guestMayComment,
  guestSessionExpiry,
  isShareToken,
  maxShareItems,
  defaultShareName,
  passwordThrottle,
  passwordWait,
  shareMarkerKey,
  shareMediaExpiry,
  shareMediaUrlTtlSeconds,
  shareState,
  shareTokenPrefix,
  type DownloadPolicy,
  type DownloadRequest,
  type ShareMarker,
  type ShareState,
  type ShareWatermark,
  watermarkNeedsName,
} from '@mediavault/core/share-policy';
import { previewDownloadName } from '@mediavault/core/attachment';
import { edgeUrl, signEdgeToken, type ShareFiles } from '@mediavault/core/signer';
import { recordActivity } from '@mediavault/core/catalogue/activity';
import {
  findComment,
  findReviewVersion,
  insertComment,
  listAssetComments,
} from '@mediavault/core/catalogue/comments-store';
import { findPreview } from '@mediavault/core/catalogue/previews-store';
import {
  countPasswordFailures,
  hasPlayed,
  listShareAudit as listAuditRows,
  recordShareAudit,
  type ShareAuditEntry,
  type ShareAuditRecord,
} from '@mediavault/core/catalogue/share-audit-store';
import {
  endGuestSession,
  endGuestSessions,
  findAssetProjects,
  findCollectionByPath,
  findShare,
  findShareForPassword,
  findShareByTokenHash,
  findShareItem,
  insertGuestSession,
  insertShare,
  listShareItems,
  listShares as listShareRows,
  lockShare,
  revokeShare as revokeShareRow,
  setGuestName,
  updateSharePolicy,
  type GuestSession,
  type ShareItem,
  type SharePolicyChange,
  type ShareRecord,
} from '@mediavault/core/catalogue/shares-store';
import { findPlaybackVersion } from '@mediavault/core/catalogue/versions-store';
import { listProjectsWithRole } from '@mediavault/core/catalogue/projects-store';
import { can } from '@mediavault/core/roles';
import type { ApiDeps, RequestContext } from '../deps.ts';
import { authorizeProject } from './access.ts';
import { timebaseOf, type Comment } from './comments.ts';
import { decodeCursor, encodeCursor } from './page-cursor.ts';
import { playbackLabels } from './player-labels.ts';
import { generateToken, hashToken } from './tokens.ts';
import { rateLimited } from '../plugins/rate-limits.ts';
import { requestWatermarkedSet } from './watermarks.ts';
import { readPendingPassword, signPendingPassword } from './share-password-pending.ts';

/** OWASP's argon2id parameters: 19 MiB of memory, two passes, one lane. */
const argon2Options = { algorithm: 2 as Algorithm.Argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 };

const defaultWatermark = { position: 'bottom-right', opacity: 0.5, size: 'medium' } as const;

/** A share as members see it (never its token or password): its record, its state, and in a single read its items. */
export type ShareView = Omit<ShareRecord, 'organizationId' | 'collectionId'> & {
  state: ShareState;
  /** In order (single reads; lists leave them out). */
  items?: { assetId: string; name: string; collectionPath: string | null; versionId: string | null }[];
};

function view(share: ShareRecord, items?: ShareItem[]): ShareView {
  const { organizationId: _o, collectionId: _c, ...fields } = share;
  return {
    ...fields,
    state: shareState(share, new Date()),
    ...(items
      ? {
          items: items.map((i) => ({
            assetId: i.assetId,
            name: i.name,
            collectionPath: i.collectionPath,
            versionId: i.pinnedVersionId,
          })),
        }
      : {}),
  };
}

/** A share of the caller's organization that they may manage (`share.create` in its project). */
async function authorizeShare(deps: ApiDeps, ctx: RequestContext, shareId: string): Promise<ShareRecord> {
  const share = await findShare(deps.pool, ctx.caller.organizationId, shareId);
  if (!share) throw errors.notFound('share');
  await authorizeProject(deps.pool, ctx.caller, share.projectId, 'share.create', 'share');
  return share;
}

function auditBy(ctx: RequestContext, share: ShareRecord, event: ShareAuditEntry['event'], details = {}) {
  return {
    shareId: share.id,
    organizationId: share.organizationId,
    projectId: share.projectId,
    event,
    actorUserId: ctx.caller.userId,
    details,
  } satisfies ShareAuditEntry;
}

function activityOf(ctx: RequestContext, share: { id: string; projectId: string }, action: string, data = {}) {
  return {
    organizationId: ctx.caller.organizationId,
    actorUserId: ctx.caller.userId,
    action,
    subjectType: 'share',
    subjectId: share.id,
    projectId: share.projectId,
    requestId: ctx.requestId,
    data,
  };
}

/** Tells every edge what it must refuse of this share from now on (written before the change commits). */
async function writeMarker(deps: ApiDeps, shareId: string, marker: ShareMarker): Promise<void> {
  await deps.storages.previews.put(shareMarkerKey(shareId), Buffer.from(JSON.stringify(marker)), {
    contentType: 'application/json',
    cacheControl: 'no-store',
  });
}

export interface WatermarkInput {
  template: string;
  position?: string;
  opacity?: number;
  size?: string;
}

/** The watermark a share stores: checked and normalised (core/src/watermark.ts), defaults filled in. */
function watermarkOf(input: WatermarkInput | null | undefined): ShareWatermark | null {
  if (!input) return null;
  try {
    return normaliseWatermarkSpec({ ...defaultWatermark, ...input } as ShareWatermark);
  } catch (err) {
    if (isAppError(err) && err.code === 'bad_request')
      throw errors.badRequest(err.message, { field: `body.watermark.${err.details?.field ?? 'template'}` });
    throw err;
  }
}

function futureDate(value: string | Date | null | undefined, field: string): Date | null {
  if (value === null || value === undefined) return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || date.getTime() <= Date.now())
    throw errors.badRequest('the expiry must be a time in the future', { field });
  return date;
}

export interface CreateShareInput {
  name?: string;
  assetIds?: string[];
  versionId?: string;
  collection?: { projectId: string; path: string };
  expiresAt?: string | Date;
  password?: string;
  download?: DownloadPolicy;
  comments?: boolean;
  watermark?: WatermarkInput;
}

/** Creates a share; answers it and its link, which holds the token: shown this once. */
export async function createShare(
  deps: ApiDeps,
  ctx: RequestContext,
  input: CreateShareInput,
): Promise<{ share: ShareView; url: string }> {
  const { caller } = ctx;
  const assetIds = [...new Set((input.assetIds ?? []).map((id) => id.toLowerCase()))];
  if (assetIds.length > 0 === (input.collection !== undefined))
    throw errors.badRequest('a share covers assetIds or a collection (one of them)', { field: 'body.assetIds' });
  if (assetIds.length > maxShareItems)
    throw errors.badRequest(`a share lists at most ${maxShareItems} assets`, { field: 'body.assetIds' });
  if (input.versionId !== undefined && assetIds.length !== 1)
    throw errors.badRequest('versionId pins the version of a one-asset share', { field: 'body.versionId' });

  let projectId: string;
  let collection: { id: string; path: string } | null = null;
  let items: { assetId: string; versionId: string | null }[] = [];
  let assetNames: string[] = [];
  if (input.collection) {
    projectId = input.collection.projectId;
    await authorizeProject(deps.pool, caller, projectId, 'share.create');
    collection = await findCollectionByPath(deps.pool, projectId, input.collection.path.replace(/^\/+|\/+$/g, ''));
    if (!collection) throw errors.notFound('collection');
  } else {
    const found = await findAssetProjects(deps.pool, caller.organizationId, assetIds);
    const missing = assetIds.find((id) => !found.has(id));
    if (missing) throw errors.notFound(`asset ${missing}`);
    assetNames = assetIds.map((id) => found.get(id)!.name);
    const distinct = new Set([...found.values()].map((asset) => asset.projectId));
    if (distinct.size > 1)
      throw errors.badRequest('the assets of a share belong to one project', { field: 'body.assetIds' });
    projectId = [...distinct][0]!;
    await authorizeProject(deps.pool, caller, projectId, 'share.create', 'asset');
    if (input.versionId !== undefined && !(await findReviewVersion(deps.pool, assetIds[0]!, input.versionId)))
      throw errors.notFound('version');
    items = assetIds.map((assetId) => ({ assetId, versionId: input.versionId ?? null }));
  }
  const expiresAt = futureDate(input.expiresAt, 'body.expiresAt');
  const watermark = watermarkOf(input.watermark);
  const passwordHash = input.password === undefined ? null : await argon2Hash(input.password, argon2Options);
  const kind = collection ? 'collection' : assetIds.length === 1 ? 'asset' : 'assets';
  // What the guest sees, and {share} in a watermark: the collection, or the assets by name.
  const name = input.name?.trim() || (collection ? collection.path : defaultShareName(assetNames));

  const { token, hash } = generateToken(shareTokenPrefix);
  const shareId = await withTransaction(deps.pool, async (db) => {
    const id = await insertShare(db, {
      tokenHash: hash,
      organizationId: caller.organizationId,
      projectId,
      name,
      kind,
      versionPolicy: input.versionId ? 'pinned' : 'latest',
      collectionId: collection?.id ?? null,
      download: input.download ?? 'none',
      comments: input.comments ?? false,
      watermark,
      passwordHash,
      expiresAt,
      createdBy: caller.userId,
      items,
    });
    const policy = {
      kind,
      download: input.download ?? 'none',
      comments: input.comments ?? false,
      password: passwordHash !== null,
      watermark: watermark !== null,
      expiresAt,
    };
    await recordShareAudit(db, {
      shareId: id,
      organizationId: caller.organizationId,
      projectId,
      event: 'create',
      actorUserId: caller.userId,
      details: policy,
    });
    await recordActivity(db, activityOf(ctx, { id, projectId }, 'share.create', policy));
    return id;
  });
  const share = (await findShare(deps.pool, caller.organizationId, shareId))!;
  return { share: view(share, await listShareItems(deps.pool, share)), url: `${deps.urls.api}/s/#${token}` };
}

/** The shares of a project, or of every project where the caller may create shares; newest first. */
export async function listShares(
  deps: ApiDeps,
  ctx: RequestContext,
  query: { projectId?: string; limit: number; cursor?: string },
): Promise<{ items: ShareView[]; nextCursor: string | null }> {
  let projectIds: string[];
  if (query.projectId) {
    await authorizeProject(deps.pool, ctx.caller, query.projectId, 'share.create');
    projectIds = [query.projectId];
  } else {
    projectIds = (await listProjectsWithRole(deps.pool, ctx.caller))
      .filter((p) => can(p.role, 'share.create'))
      .map((p) => p.id);
  }
  const after = query.cursor ? decodeCursor(query.cursor) : null;
  const { items, next } = await listShareRows(deps.pool, projectIds, { after, limit: query.limit });
  return { items: items.map((s) => view(s)), nextCursor: next ? encodeCursor(next) : null };
}

export async function getShare(deps: ApiDeps, ctx: RequestContext, shareId: string): Promise<ShareView> {
  const share = await authorizeShare(deps, ctx, shareId);
  return view(share, await listShareItems(deps.pool, share));
}

export interface UpdateShareInput {
  name?: string;
  expiresAt?: string | Date | null;
  password?: string | null;
  download?: DownloadPolicy;
  comments?: boolean;
  watermark?: WatermarkInput | null;
}

/**
 * Changes a share's policy. Changes that narrow what its media URLs open (a password, the
 * downloads, the watermark, the expiry, or the name a watermark shows) make every edge refuse
 * the URLs issued before them (the page fetches new ones); a new password also ends the open
 * guest sessions, which must give it.
 */
export async function updateShare(
  deps: ApiDeps,
  ctx: RequestContext,
  shareId: string,
  input: UpdateShareInput,
): Promise<ShareView> {
  const share = await authorizeShare(deps, ctx, shareId);
  if (share.revokedAt) throw errors.invalidState('the share was revoked', 'revoked');
  const change: SharePolicyChange = {};
  if (input.name !== undefined) change.name = input.name.trim() || share.name;
  if (input.expiresAt !== undefined) change.expiresAt = futureDate(input.expiresAt, 'body.expiresAt');
  if (input.password !== undefined)
    change.passwordHash = input.password === null ? null : await argon2Hash(input.password, argon2Options);
  if (input.download !== undefined) change.download = input.download;
  if (input.comments !== undefined) change.comments = input.comments;
  if (input.watermark !== undefined) change.watermark = watermarkOf(input.watermark);
  const changed = Object.keys(change);
  if (changed.length === 0) throw errors.badRequest('nothing to change', { field: 'body' });
  const passwordSet = typeof change.passwordHash === 'string';
  const supersedesMedia =
    passwordSet ||
    change.download !== undefined ||
    change.watermark !== undefined ||
    change.expiresAt !== undefined ||
    (change.name !== undefined && (change.watermark ?? share.watermark) !== null);
  const details = {
    changed: changed.map((field) => (field === 'passwordHash' ? 'password' : field)),
    ...(input.password !== undefined ? { password: input.password === null ? 'removed' : 'set' } : {}),
    ...(change.download !== undefined ? { download: change.download } : {}),
    ...(change.comments !== undefined ? { comments: change.comments } : {}),
    ...(change.expiresAt !== undefined ? { expiresAt: change.expiresAt } : {}),
    ...(change.watermark !== undefined ? { watermark: change.watermark !== null } : {}),
  };
  await withTransaction(deps.pool, async (db) => {
    if (!(await updateSharePolicy(db, share.id, change))) throw errors.invalidState('the share was revoked', 'revoked');
    const ended = passwordSet ? await endGuestSessions(db, share.id) : 0;
    await recordShareAudit(db, auditBy(ctx, share, 'update', { ...details, sessionsEnded: ended }));
    await recordActivity(db, activityOf(ctx, share, 'share.update', details));
    if (supersedesMedia) await writeMarker(deps, share.id, { revoked: false, notBefore: nowSeconds() });
  });
  return getShare(deps, ctx, share.id);
}

/** Revokes a share: its link, its guest sessions and, on every edge within a second, its media URLs. */
export async function revokeShare(deps: ApiDeps, ctx: RequestContext, shareId: string): Promise<ShareView> {
  const share = await authorizeShare(deps, ctx, shareId);
  await withTransaction(deps.pool, async (db) => {
    if (!(await revokeShareRow(db, share.id))) return;
    const ended = await endGuestSessions(db, share.id);
    await recordShareAudit(db, auditBy(ctx, share, 'revoke', { sessionsEnded: ended }));
    await recordActivity(db, activityOf(ctx, share, 'share.revoke', { sessionsEnded: ended }));
    // Before the commit: if the marker cannot be written, the revocation fails and can be retried.
    await writeMarker(deps, share.id, { revoked: true, notBefore: nowSeconds() });
  });
  return getShare(deps, ctx, share.id);
}

/** An audit row as the api answers it. */
export type ShareAuditItem = Omit<ShareAuditRecord, 'id'> & { id: number };

export async function listShareAudit(
  deps: ApiDeps,
  ctx: RequestContext,
  shareId: string,
  query: { limit: number; cursor?: string },
): Promise<{ items: ShareAuditItem[]; nextCursor: string | null }> {
  const share = await authorizeShare(deps, ctx, shareId);
  const afterId = query.cursor === undefined ? null : Number(query.cursor);
  if (afterId !== null && !(Number.isSafeInteger(afterId) && afterId >= 0))
    throw errors.badRequest('cursor is not valid: pass the nextCursor of a previous page', {
      field: 'querystring.cursor',
    });
  const { items, nextAfterId } = await listAuditRows(deps.pool, share.id, { afterId, limit: query.limit });
  return { items, nextCursor: nextAfterId === null ? null : String(nextAfterId) };
}

export const shareAuditCsvColumns = [
  'time',
  'event',
  'share',
  'asset',
  'asset_name',
  'version',
  'version_number',
  'client_address',
  'user_agent',
  'guest_name',
  'member',
  'session',
  'details',
] as const;

/** The whole audit trail as CSV (RFC 4180), a header line first, in the order it happened. */
export async function exportShareAuditCsv(deps: ApiDeps, ctx: RequestContext, shareId: string): Promise<string> {
  const share = await authorizeShare(deps, ctx, shareId);
  const rows: string[][] = [];
  let afterId: number | null = null;
  do {
    const page = await listAuditRows(deps.pool, share.id, { afterId, limit: 1000 });
    for (const e of page.items) {
      rows.push([
        e.at.toISOString(),
        e.event,
        share.id,
        e.assetId ?? '',
        e.assetName ?? '',
        e.versionId ?? '',
        e.versionNumber === null ? '' : String(e.versionNumber),
        e.clientAddress ?? '',
        e.userAgent ?? '',
        e.guestName ?? '',
        e.actor?.name ?? '',
        e.sessionId ?? '',
        Object.keys(e.details).length ? JSON.stringify(e.details) : '',
      ]);
    }
    afterId = page.nextAfterId;
  } while (afterId !== null);
  // Cells a spreadsheet would run as formulas (a guest's name, a user agent) are quoted as text.
  return stringify([[...shareAuditCsvColumns], ...rows.map((row) => row.map(neutraliseFormula))], {
    record_delimiter: 'windows',
  });
}

function neutraliseFormula(cell: string): string {
  return /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

// ---------------------------------------------------------------------------------------------
// Guests: the share-session routes. The guest is the session (GuestSession), never a user.

/** Where a guest's request comes from: for the audit trail. */
export interface GuestRequest {
  requestId: string;
  ip: string;
  userAgent: string | null;
}

export interface GuestContext extends GuestRequest {
  guest: GuestSession;
}

/** What the share page learns of its session: the share's policy and its assets. */
export interface ShareSessionInfo {
  share: {
    id: string;
    name: string;
    kind: ShareRecord['kind'];
    versionPolicy: ShareRecord['versionPolicy'];
    download: DownloadPolicy;
    comments: boolean;
    watermarked: boolean;
    /** The watermark shows the viewer: the guest gives a name before playing or downloading. */
    watermarkNeedsName: boolean;
    expiresAt: Date | null;
  };
  items: { assetId: string; name: string; collectionPath: string | null }[];
  guestName: string | null;
  expiresAt: Date;
}

async function sessionInfo(db: Queryable, share: ShareRecord, guestName: string | null, expiresAt: Date) {
  const items = await listShareItems(db, share);
  return {
    share: {
      id: share.id,
      name: share.name,
      kind: share.kind,
      versionPolicy: share.versionPolicy,
      download: share.download,
      comments: share.comments,
      watermarked: share.watermark !== null,
      watermarkNeedsName: watermarkNeedsName(share.watermark),
      expiresAt: share.expiresAt,
    },
    items: items.map((i) => ({ assetId: i.assetId, name: i.name, collectionPath: i.collectionPath })),
    guestName,
    expiresAt,
  } satisfies ShareSessionInfo;
}

/** Why a share does not open, as the page shows it (details.reason). */
function closed(state: Exclude<ShareState, 'active'>): AppError {
  return state === 'revoked'
    ? new AppError('forbidden', 'this share link was revoked: ask its sender for a new one', {
        reason: 'share_revoked',
      })
    : new AppError('forbidden', 'this share link has expired: ask its sender for a new one', {
        reason: 'share_expired',
      });
}

export const invalidShareLink = () => errors.unauthenticated('this share link is not valid: check it was copied whole');

/**
 * A 401 that asks for the share's password; `pending` is the cookie value that lets the next
 * tries send the password without the link's token (share-password-pending.ts).
 */
export class SharePasswordNeeded extends AppError {
  readonly pending: string;
  constructor(message: string, details: Record<string, unknown>, pending: string) {
    super('unauthenticated', message, details);
    this.pending = pending;
  }
}

/** The share a sign-in names: by the link's token, else by a pending-password cookie's share. */
async function shareToOpen(deps: ApiDeps, token: string | undefined, pendingCookie: string | undefined) {
  if (token !== undefined) {
    if (!isShareToken(token)) throw invalidShareLink();
    const share = await findShareByTokenHash(deps.pool, hashToken(token));
    if (!share) throw invalidShareLink();
    return share;
  }
  const pending = pendingCookie ? await readPendingPassword(deps.config, pendingCookie) : null;
  if (!pending)
    throw new AppError('unauthenticated', 'open the share link again: its password page has timed out', {
      reason: 'link_required',
    });
  const share = await findShareForPassword(deps.pool, pending.organizationId, pending.shareId);
  if (!share) throw invalidShareLink();
  return share;
}

/**
 * Exchanges a share link's token (and its password, when it has one) for a guest session;
 * answers the session and the cookie's secret. An unknown token is 401 (the caller counts it as
 * a failed credential); a revoked or expired share is 403 with details.reason; a password that
 * is missing or wrong is 401 with details.reason (password_required, password_incorrect), and
 * tries within the growing delay are 429 with details.retryAfterSeconds. Every try is audited.
 */
export async function startShareSession(
  deps: ApiDeps,
  request: GuestRequest,
  input: { token?: string; password?: string },
  /** The pending-password cookie an earlier try set (share-password-pending.ts), if any. */
  pendingCookie?: string,
): Promise<{ session: ShareSessionInfo; secret: string }> {
  const share = await shareToOpen(deps, input.token, pendingCookie);
  const state = shareState(share, new Date());
  if (state !== 'active') throw closed(state);
  const from = { clientAddress: request.ip, userAgent: request.userAgent };
  const scope = { shareId: share.id, organizationId: share.organizationId, projectId: share.projectId };
  const passwordNeeded = async (message: string, details: Record<string, unknown>) =>
    new SharePasswordNeeded(
      message,
      details,
      await signPendingPassword(deps.config, { shareId: share.id, organizationId: share.organizationId }),
    );

  if (share.passwordHash) {
    if (input.password === undefined || input.password === '')
      throw await passwordNeeded('this share link needs its password', { reason: 'password_required' });
    const checked = await withTransaction(deps.pool, async (db) => {
      await lockShare(db, share.id);
      const failures = await countPasswordFailures(db, share.id, request.ip, passwordThrottle.windowSeconds);
      const wait = passwordWait(failures.perAddress, failures.perShare, new Date());
      if (wait > 0) {
        await recordShareAudit(db, {
          ...scope,
          ...from,
          event: 'password_throttled',
          details: { retryAfterSeconds: wait },
        });
        return { outcome: 'throttled' as const, wait };
      }
      if (await argon2Verify(share.passwordHash!, input.password!)) return { outcome: 'right' as const, wait: 0 };
      await recordShareAudit(db, { ...scope, ...from, event: 'password_failed' });
      const next = {
        perAddress: { count: failures.perAddress.count + 1, lastAt: new Date() },
        perShare: { count: failures.perShare.count + 1, lastAt: new Date() },
      };
      return { outcome: 'wrong' as const, wait: passwordWait(next.perAddress, next.perShare, new Date()) };
    });
    // Thrown after the commit, so the audit row of the try is kept.
    if (checked.outcome === 'throttled') throw rateLimited(checked.wait);
    if (checked.outcome === 'wrong')
      throw await passwordNeeded('the password is not right', {
        reason: 'password_incorrect',
        retryAfterSeconds: checked.wait,
      });
  }

  // The cookie's value: 256 random bits, like an API token, stored as its sha256 only.
  const { token: secret, hash: secretHash } = generateToken('');
  const expiresAt = guestSessionExpiry(share.expiresAt, new Date());
  await withTransaction(deps.pool, async (db) => {
    const opened = await insertGuestSession(db, { secretHash, share, expiresAt });
    await recordShareAudit(db, {
      ...scope,
      ...from,
      event: 'open',
      sessionId: opened.id,
      details: { password: share.passwordHash !== null },
    });
  });
  return { session: await sessionInfo(deps.pool, share, null, expiresAt), secret };
}

/** The guest's share, still open (the session lookup checked it; a revoke may have raced it). */
async function liveShare(deps: ApiDeps, guest: GuestSession): Promise<ShareRecord> {
  const share = await findShare(deps.pool, guest.organizationId, guest.shareId);
  if (!share) throw errors.notFound('share');
  const state = shareState(share, new Date());
  if (state !== 'active') throw closed(state);
  return share;
}

export async function getShareSession(deps: ApiDeps, ctx: GuestContext): Promise<ShareSessionInfo> {
  const share = await liveShare(deps, ctx.guest);
  return sessionInfo(deps.pool, share, ctx.guest.guestName, ctx.guest.expiresAt);
}

/** The name the guest gives: shown on their comments and, when the watermark asks, burnt in. */
export async function setShareGuestName(deps: ApiDeps, ctx: GuestContext, name: string): Promise<ShareSessionInfo> {
  const share = await liveShare(deps, ctx.guest);
  const clean = cleanGuestName(name);
  if (!clean) throw errors.badRequest('the name is empty', { field: 'body.name' });
  await setGuestName(deps.pool, ctx.guest.sessionId, clean);
  return sessionInfo(deps.pool, share, clean, ctx.guest.expiresAt);
}

export async function endShareSession(deps: ApiDeps, ctx: GuestContext): Promise<void> {
  await endGuestSession(deps.pool, ctx.guest.sessionId);
}

/** An asset of the guest's share and the version the share opens of it (pinned, else the latest). */
async function sharedVersion(deps: ApiDeps, share: ShareRecord, assetId: string) {
  const item = await findShareItem(deps.pool, share, assetId);
  if (!item) throw errors.notFound('asset');
  const version = await findPlaybackVersion(deps.pool, assetId, item.pinnedVersionId, defaultPreviewProfile);
  if (!version) throw errors.notFound('version');
  return { item, version };
}

function signShareToken(
  deps: ApiDeps,
  share: ShareRecord,
  sha: string,
  files: ShareFiles,
  options: { wm?: string; name?: string } = {},
): string {
  const now = nowSeconds();
  const { wm, name } = options;
  return signEdgeToken(
    {
      sha,
      exp: shareMediaExpiry(share.expiresAt, now),
      scope: 'share',
      share: { id: share.id, iat: now, files, ...(wm ? { wm } : {}), ...(name ? { name } : {}) },
    },
    { kid: deps.config.edge.signingKid, secret: deps.config.edge.signingKey },
  );
}

/**
 * The watermarked set this guest's copy of a version is: built once per rendered watermark
 * (the share's name, the guest's when the template shows the viewer, today's date), claimed
 * here when first asked for. A watermark that shows the viewer waits for the guest's name.
 */
async function watermarkedSet(deps: ApiDeps, ctx: GuestContext, share: ShareRecord, sha: string) {
  const spec = share.watermark!;
  if (watermarkNeedsName(spec) && !ctx.guest.guestName)
    throw errors.invalidState(
      "this share's watermark shows the viewer's name: give it first (PUT /api/share-sessions/current/name)",
      'unnamed',
      { reason: 'name_required' },
    );
  return requestWatermarkedSet(deps, sha, spec, { share: share.name, viewer: ctx.guest.guestName, date: new Date() });
}

/** Ask again after this long while a preview or watermarked set is being built. */
const preparingRetrySeconds = 5;

export type SharePlayback =
  | {
      status: 'ready';
      assetId: string;
      versionId: string;
      versionNumber: number;
      manifestUrl: string;
      posterUrl: string;
      spritesVttUrl: string | null;
      waveformUrl: string | null;
      frameRate: { num: number; den: number } | null;
      startTimecode: string;
      dropFrame: boolean;
      durationFrames: number | null;
      expiresAt: string;
      /** Ask again (renew) after this many seconds, while playing. */
      renewAfterSeconds: number;
    }
  | { status: 'preparing'; assetId: string; versionId: string; retryAfterSeconds: number };

/**
 * Edge URLs to play one asset of the share: five minutes, the share's content only, renewed by
 * calling this again while playing. The first call for a version in a session is its play
 * start in the audit trail.
 */
export async function getSharePlayback(deps: ApiDeps, ctx: GuestContext, assetId: string): Promise<SharePlayback> {
  const share = await liveShare(deps, ctx.guest);
  const { version } = await sharedVersion(deps, share, assetId);
  const sha = version.sha256;
  const preparing = {
    status: 'preparing' as const,
    assetId,
    versionId: version.id,
    retryAfterSeconds: preparingRetrySeconds,
  };
  // A watermarked share plays its watermarked set only (built from the master): never the clean preview.
  let media: { manifest: string; poster: string; wm?: string };
  if (share.watermark) {
    const set = await watermarkedSet(deps, ctx, share, sha);
    if (set.status !== 'ready') return preparing;
    media = {
      manifest: watermarkKeys.hlsMaster(sha, set.key),
      poster: watermarkKeys.poster(sha, set.key),
      wm: set.key,
    };
  } else {
    if (version.previewStatus !== 'ready') {
      if (version.previewStatus === 'queued' || version.previewStatus === 'building') return preparing;
      throw errors.previewNotReady('this asset has no preview to play yet', version.previewStatus);
    }
    media = { manifest: previewKeys.hlsMaster(sha), poster: previewKeys.poster(sha) };
  }
  const [review, preview] = await Promise.all([
    findReviewVersion(deps.pool, assetId, version.id),
    media.wm ? null : findPreview(deps.pool, sha, defaultPreviewProfile),
  ]);
  if (!review) throw errors.notFound('version');
  const token = signShareToken(deps, share, sha, 'play', media.wm ? { wm: media.wm } : {});
  const url = (path: string) => edgeUrl(deps.urls.edge, token, path);
  if (!(await hasPlayed(deps.pool, ctx.guest.sessionId, version.id))) {
    await recordShareAudit(deps.pool, guestAudit(ctx, share, 'play', { assetId, versionId: version.id }));
  }
  const labels = playbackLabels(version);
  const { exp } = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { exp: number };
  return {
    status: 'ready',
    assetId,
    versionId: version.id,
    versionNumber: review.number,
    manifestUrl: url(media.manifest),
    posterUrl: url(media.poster),
    spritesVttUrl: preview?.outputs?.sprites ? url(preview.outputs.sprites.vtt) : null,
    waveformUrl: preview?.outputs?.waveform ? url(preview.outputs.waveform) : null,
    frameRate: labels.frameRate,
    startTimecode: labels.startTimecode,
    dropFrame: labels.dropFrame,
    durationFrames: timebaseOf(review.timing).durationFrames,
    expiresAt: new Date(exp * 1000).toISOString(),
    renewAfterSeconds: Math.max(30, shareMediaUrlTtlSeconds - 60),
  };
}

function guestAudit(
  ctx: GuestContext,
  share: ShareRecord,
  event: ShareAuditEntry['event'],
  what: { assetId?: string; versionId?: string; details?: Record<string, unknown> } = {},
): ShareAuditEntry {
  return {
    shareId: share.id,
    organizationId: share.organizationId,
    projectId: share.projectId,
    event,
    sessionId: ctx.guest.sessionId,
    guestName: ctx.guest.guestName,
    assetId: what.assetId ?? null,
    versionId: what.versionId ?? null,
    clientAddress: ctx.ip,
    userAgent: ctx.userAgent,
    details: what.details ?? {},
  };
}

export type ShareDownload =
  | { redirect: string }
  | { stream: Readable; size: number; fileName: string; contentType: string };

/**
 * A download of one asset of the share, as its policy allows: the MP4 preview through a
 * one-file edge URL (a redirect), or the master streamed by the api. Audited.
 */
export async function downloadShareAsset(
  deps: ApiDeps,
  ctx: GuestContext,
  assetId: string,
  asked: DownloadRequest,
): Promise<ShareDownload> {
  const share = await liveShare(deps, ctx.guest);
  const { version } = await sharedVersion(deps, share, assetId);
  const granted = downloadGranted({ download: share.download, watermarked: share.watermark !== null }, asked);
  if (!granted)
    throw errors.forbidden(
      share.download === 'none' ? 'this share allows no downloads' : 'this share does not allow downloading masters',
    );
  const audit = guestAudit(ctx, share, 'download', {
    assetId,
    versionId: version.id,
    details: { kind: granted },
  });
  if (granted === 'watermarked') {
    const set = await watermarkedSet(deps, ctx, share, version.sha256);
    if (set.status !== 'ready')
      throw errors.previewNotReady(
        "this share's watermarked MP4 is being prepared: retry shortly",
        set.status === 'failed' ? 'failed' : set.status,
      );
    await recordShareAudit(deps.pool, audit);
    const token = signShareToken(deps, share, version.sha256, 'download', {
      wm: set.key,
      name: previewDownloadName(version.originalName),
    });
    return { redirect: edgeUrl(deps.urls.edge, token, watermarkKeys.mp4(version.sha256, set.key)) };
  }
  if (granted === 'proxy') {
    if (version.previewStatus !== 'ready')
      throw errors.previewNotReady('the MP4 of this asset is not built yet', version.previewStatus);
    await recordShareAudit(deps.pool, audit);
    const token = signShareToken(deps, share, version.sha256, 'download', {
      name: previewDownloadName(version.originalName),
    });
    return { redirect: edgeUrl(deps.urls.edge, token, previewKeys.mp4(version.sha256)) };
  }
  const key = masterKey(version.sha256);
  const info = await deps.storages.masters.head(key);
  if (!info) throw errors.notFound('master');
  await recordShareAudit(deps.pool, audit);
  return {
    stream: await deps.storages.masters.get(key),
    size: info.size,
    fileName: version.originalName,
    contentType: 'application/octet-stream',
  };
}

/** A comment as a guest sees it (the `Comment` schema). */
function guestComment(record: Awaited<ReturnType<typeof findComment>> & {}): Comment {
  const { timing, projectId: _p, organizationId: _o, deletedAt, ...fields } = record;
  return {
    ...fields,
    ...anchorTimecodes(timebaseOf(timing), record.frame, record.endFrame),
    resolved: record.resolvedAt !== null,
    deleted: deletedAt !== null,
  };
}

async function commentingShare(deps: ApiDeps, ctx: GuestContext, assetId: string) {
  const share = await liveShare(deps, ctx.guest);
  if (!share.comments) throw errors.forbidden('this share does not take comments');
  const shared = await sharedVersion(deps, share, assetId);
  return { share, ...shared };
}

/** The comments a guest sees on the version the share opens: never internal ones. */
export async function listShareComments(
  deps: ApiDeps,
  ctx: GuestContext,
  assetId: string,
  page: { limit: number },
): Promise<{ items: Comment[] }> {
  const { version } = await commentingShare(deps, ctx, assetId);
  const { items } = await listAssetComments(
    deps.pool,
    assetId,
    { versionId: version.id, resolved: null, withInternal: false },
    { after: null, limit: page.limit },
  );
  return { items: items.map(guestComment) };
}

export interface GuestCommentInput {
  frame?: number;
  endFrame?: number;
  text: string;
  parentId?: string;
  annotation?: Annotation;
}

/** A guest's comment (or reply to a visible thread) on the version the share opens; audited. */
export async function createShareComment(
  deps: ApiDeps,
  ctx: GuestContext,
  assetId: string,
  input: GuestCommentInput,
): Promise<Comment> {
  const { share, version } = await commentingShare(deps, ctx, assetId);
  const allowed = guestMayComment(share, ctx.guest.guestName);
  if (allowed === 'no_name')
    throw errors.badRequest('give your name first (PUT /api/share-sessions/current/name)', { field: 'name' });
  checkCommentText(input.text);
  const annotation = input.annotation ?? null;
  checkAnnotation(annotation);
  const review = await findReviewVersion(deps.pool, assetId, version.id);
  if (!review) throw errors.notFound('version');
  const timebase = timebaseOf(review.timing);
  let frame: number;
  let endFrame: number | null;
  if (input.parentId !== undefined) {
    const parent = await findComment(deps.pool, share.organizationId, input.parentId);
    if (!parent || parent.assetId !== assetId || parent.versionId !== version.id || parent.internal)
      throw errors.badRequest('parentId is not a comment you can see here', { field: 'body.parentId' });
    if (parent.parentId !== null)
      throw errors.badRequest(`a reply answers a thread's first comment: reply to ${parent.parentId}`, {
        field: 'body.parentId',
      });
    if (parent.deletedAt) throw errors.invalidState('the comment was deleted', 'deleted');
    ({ frame, endFrame } = parent);
  } else {
    if (input.frame === undefined) throw errors.badRequest('frame is required', { field: 'body.frame' });
    checkAnchor(timebase, input.frame, input.endFrame ?? null);
    frame = input.frame;
    endFrame = input.endFrame ?? null;
  }
  const created = await withTransaction(deps.pool, async (db) => {
    const id = await insertComment(db, {
      assetId,
      versionId: version.id,
      projectId: share.projectId,
      organizationId: share.organizationId,
      parentId: input.parentId ?? null,
      author: { guestName: ctx.guest.guestName! },
      frame,
      endFrame,
      rate: timebase.rate,
      text: input.text,
      // Guests' comments are for everyone on the review: never team-only.
      internal: false,
      annotation,
    });
    await recordShareAudit(
      db,
      guestAudit(ctx, share, 'comment', { assetId, versionId: version.id, details: { commentId: id } }),
    );
    return (await findComment(db, share.organizationId, id))!;
  });
  return guestComment(created);
}
