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
} from '@mediavault/core/catalogue/assets-store';
import { findPlaybackVersion } from '@mediavault/core/catalogue/versions-store';
import type { ApiDeps, RequestContext } from '../deps.ts';
import { authorizeAsset, authorizeProject } from './access.ts';
import { decodeCursor, encodeCursor } from './page-cursor.ts';
import { playbackLabels, playerLinkKeys, signPlayerLink } from './player-labels.ts';

export async function getAsset(deps: ApiDeps, { caller }: RequestContext, assetId: string): Promise<AssetDetail> {
  await authorizeAsset(deps.pool, caller, assetId, 'asset.read');
  const asset = await findAssetDetail(deps.pool, assetId, defaultPreviewProfile);
  if (!asset) throw errors.notFound('asset');
  return asset;
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
  };
}
