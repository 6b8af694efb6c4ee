/** Assets as the catalogue shows them, page by page, and signed playback of their previews. */
import { errors } from '@mediavault/core/errors';
import { defaultPreviewProfile } from '@mediavault/core/jobs';
import { previewKeys } from '@mediavault/core/keys';
import { edgeUrl, signEdgeToken } from '@mediavault/core/signer';
import {
  findAssetDetail,
  listProjectAssets,
  type AssetDetail,
  type AssetSummary,
  type VersionDetail,
} from '@mediavault/core/catalogue/assets-store';
import { listAssetApprovals } from '@mediavault/core/catalogue/approvals-store';
import { findReviewVersion } from '@mediavault/core/catalogue/comments-store';
import { findPreview } from '@mediavault/core/catalogue/previews-store';
import { findPlaybackVersion } from '@mediavault/core/catalogue/versions-store';
import type { ApiDeps, RequestContext } from '../deps.ts';
import { authorizeAsset, authorizeProject } from './access.ts';
import { timebaseOf, type Approval } from './comments.ts';
import { decodeCursor, encodeCursor } from './page-cursor.ts';
import { playbackLabels, playerLinkKeys, signPlayerLink } from './player-labels.ts';

/** An asset with its versions, each with its review decision. */
export async function getAsset(
  deps: ApiDeps,
  { caller }: RequestContext,
  assetId: string,
): Promise<Omit<AssetDetail, 'versions'> & { versions: (VersionDetail & { approval: Approval | null })[] }> {
  await authorizeAsset(deps.pool, caller, assetId, 'asset.read');
  const [asset, approvals] = await Promise.all([
    findAssetDetail(deps.pool, assetId, defaultPreviewProfile),
    listAssetApprovals(deps.pool, assetId),
  ]);
  if (!asset) throw errors.notFound('asset');
  return { ...asset, versions: asset.versions.map((v) => ({ ...v, approval: approvals.get(v.id) ?? null })) };
}

export async function listAssets(
  deps: ApiDeps,
  { caller }: RequestContext,
  projectId: string,
  page: { limit: number; cursor?: string },
): Promise<{ items: AssetSummary[]; nextCursor: string | null }> {
  await authorizeProject(deps.pool, caller, projectId, 'asset.read');
  const after = page.cursor ? decodeCursor(page.cursor) : null;
  const { items, next } = await listProjectAssets(deps.pool, projectId, { after, limit: page.limit });
  return { items, nextCursor: next ? encodeCursor(next) : null };
}

export interface Playback {
  assetId: string;
  versionId: string;
  sha256: string;
  manifestUrl: string;
  mp4Url: string;
  posterUrl: string;
  playerUrl: string;
  expiresAt: string;
  frameRate: { num: number; den: number } | null;
  startTimecode: string;
  dropFrame: boolean;
  versionNumber: number;
  /** Frames in the version at its rate (25/1 without a video rate), as comments count them; null: not known. */
  durationFrames: number | null;
  /** The sprite sheet's WebVTT index (scrubbing thumbnails), when the preview has one. */
  spritesVttUrl: string | null;
  /** Waveform peaks (audiowaveform JSON), when the preview has them. */
  waveformUrl: string | null;
}

/** Short-lived signed edge URLs for the preview of a version (the latest by default). */
export async function getPlayback(
  { pool, config, urls }: ApiDeps,
  { caller }: RequestContext,
  assetId: string,
  versionId: string | null,
): Promise<Playback> {
  await authorizeAsset(pool, caller, assetId, 'playback');
  const version = await findPlaybackVersion(pool, assetId, versionId, defaultPreviewProfile);
  if (!version) throw errors.notFound('version');
  if (version.previewStatus !== 'ready') {
    throw errors.previewNotReady(
      version.previewStatus
        ? `the preview is ${version.previewStatus}; retry when it is ready (requestPreview answers when)`
        : 'no preview has been requested for this version: ask for one with requestPreview, then retry',
      version.previewStatus,
    );
  }
  const sha = version.sha256;
  const [review, preview] = await Promise.all([
    findReviewVersion(pool, assetId, version.id),
    findPreview(pool, sha, defaultPreviewProfile),
  ]);
  if (!review) throw errors.notFound('version');
  const exp = Math.floor(Date.now() / 1000) + config.previewTtlSeconds;
  const token = signEdgeToken(
    { sha, exp, scope: 'preview' },
    { kid: config.edge.signingKid, secret: config.edge.signingKey },
  );
  const manifestUrl = edgeUrl(urls.edge, token, previewKeys.hlsMaster(sha));
  const labels = playbackLabels(version);
  // The page shows only labels the api signed for this manifest (see player-labels.ts).
  const player = new URL(`${urls.api}/player/`);
  player.searchParams.set('src', manifestUrl);
  player.searchParams.set(
    'labels',
    await signPlayerLink({ src: manifestUrl, labels }, playerLinkKeys(config)[0]!, exp),
  );
  return {
    assetId,
    versionId: version.id,
    sha256: sha,
    manifestUrl,
    mp4Url: edgeUrl(urls.edge, token, previewKeys.mp4(sha)),
    posterUrl: edgeUrl(urls.edge, token, previewKeys.poster(sha)),
    playerUrl: player.toString(),
    expiresAt: new Date(exp * 1000).toISOString(),
    frameRate: labels.frameRate,
    startTimecode: labels.startTimecode,
    dropFrame: labels.dropFrame,
    versionNumber: review.number,
    durationFrames: timebaseOf(review.timing).durationFrames,
    spritesVttUrl: preview?.outputs?.sprites ? edgeUrl(urls.edge, token, preview.outputs.sprites.vtt) : null,
    waveformUrl: preview?.outputs?.waveform ? edgeUrl(urls.edge, token, preview.outputs.waveform) : null,
  };
}
