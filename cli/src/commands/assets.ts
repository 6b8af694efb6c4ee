import { MediavaultApiError, waitForPreview, type MediavaultClient, type PreviewState } from '@mediavault/sdk';
import { connect, resolveConnection, resolveProject } from '../connection.ts';
import { exitCodes } from '../exit-codes.ts';
import { createOutput, formatBytes, reportFailure, type Output } from '../output.ts';

interface Common {
  profile?: string;
  json?: boolean;
}

async function withClient(
  options: Common,
  body: (client: MediavaultClient, output: Output, connection: ReturnType<typeof resolveConnection>) => Promise<number>,
): Promise<number> {
  const output = createOutput(options.json ?? false);
  let client: MediavaultClient | undefined;
  try {
    const connection = resolveConnection(options);
    client = connect(connection);
    return await body(client, output, connection);
  } catch (err) {
    return reportFailure(output, err);
  } finally {
    await client?.close();
  }
}

/** `mediavault assets list`: every asset of the project (all pages), newest first. */
export function runAssetsList(options: Common & { project?: string }): Promise<number> {
  return withClient(options, async (client, output, connection) => {
    const project = await resolveProject(client, options.project, connection);
    let cursor: string | undefined;
    let count = 0;
    do {
      const page = await client.listAssets({
        params: { projectId: project.id },
        query: { limit: 500, ...(cursor ? { cursor } : {}) },
      });
      for (const asset of page.items) {
        count++;
        output.event('asset', asset);
        const v = asset.latestVersion;
        const where = asset.collectionPath ? `${asset.collectionPath}/` : '';
        output.line(
          `${asset.id}  ${where}${asset.name}${v ? `  v${v.number}  ${formatBytes(v.size)}  sha256:${v.sha256.slice(0, 12)}` : '  (no version)'}`,
        );
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    output.event('summary', { projectId: project.id, count });
    if (count === 0) output.line(`no assets in project ${project.name}`);
    return exitCodes.ok;
  });
}

/** `mediavault assets show <assetId>`: the asset with its versions and their metadata, as JSON. */
export function runAssetsShow(assetId: string, options: Common): Promise<number> {
  return withClient(options, async (client) => {
    const asset = await client.getAsset({ params: { assetId } });
    process.stdout.write(options.json ? `${JSON.stringify(asset)}\n` : `${JSON.stringify(asset, null, 2)}\n`);
    return exitCodes.ok;
  });
}

/**
 * `mediavault preview <sha>`: requests the preview build (idempotent; a viewer
 * without the right to request gets the current state), and with --wait waits
 * until it is ready.
 */
export function runPreview(sha256: string, options: Common & { wait?: boolean; timeout?: number }): Promise<number> {
  return withClient(options, async (client, output) => {
    let state: PreviewState;
    try {
      state = await client.requestPreview({ body: { sha256 } });
    } catch (err) {
      if (!(err instanceof MediavaultApiError && err.status === 403)) throw err;
      state = await client.getPreview({ params: { sha256 } });
    }
    const show = (s: PreviewState) => {
      output.event('preview-state', { sha256: s.sha256, profile: s.profile, status: s.status });
      output.line(`preview ${s.sha256.slice(0, 12)} (${s.profile}): ${s.status}`);
    };
    show(state);
    if (options.wait && state.status !== 'ready') {
      state = await waitForPreview(client, sha256, {
        timeoutMs: options.timeout ?? 30 * 60_000,
        profile: state.profile,
        onState: (s) => s.status !== state.status && show(s),
      });
    }
    output.event('summary', state);
    if (state.status === 'failed') {
      output.problem(`mediavault: the preview build failed: ${JSON.stringify(state.error)}`);
      return exitCodes.failed;
    }
    if (!output.json && state.outputs) output.line(JSON.stringify(state.outputs, null, 2));
    return exitCodes.ok;
  });
}

/** `mediavault playback <assetId>`: the reviewer page URL and the signed HLS manifest URL. */
export function runPlayback(assetId: string, options: Common & { version?: string }): Promise<number> {
  return withClient(options, async (client, output) => {
    const playback = await client.getPlayback({
      params: { assetId },
      query: options.version ? { versionId: options.version } : {},
    });
    output.event('summary', playback);
    output.line(`player    ${playback.playerUrl}`);
    output.line(`manifest  ${playback.manifestUrl}`);
    output.line(`mp4       ${playback.mp4Url}`);
    output.line(`expires   ${playback.expiresAt}`);
    return exitCodes.ok;
  });
}
