import {
  MediavaultApiError,
  waitForPreview,
  type MediavaultClient,
  type OperationOutput,
  type PreviewState,
} from '@mediavault/sdk';
import { connect, resolveConnection, resolveProject } from '../connection.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { createOutput, formatBytes, reportFailure, type Output } from '../output.ts';

export interface Common {
  profile?: string;
  json?: boolean;
  quiet?: boolean;
}

export async function withClient(
  options: Common,
  body: (client: MediavaultClient, output: Output, connection: ReturnType<typeof resolveConnection>) => Promise<number>,
): Promise<number> {
  const output = createOutput(options.json ?? false, options.quiet ?? false);
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
    if (count === 0) output.info(`no assets in project ${project.name}`);
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
      output.info(`preview ${s.sha256.slice(0, 12)} (${s.profile}): ${s.status}`);
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

type Version = OperationOutput<'getAsset'>['versions'][number];

/**
 * `mediavault playback <assetId>`: the reviewer page URL and the signed HLS manifest URL. A
 * preview not built yet is said to be so (one never requested is requested now); with --wait
 * the command waits for it on the api's event stream, then prints the URLs.
 */
export function runPlayback(
  assetId: string,
  options: Common & { version?: string; wait?: boolean; timeout?: number },
): Promise<number> {
  return withClient(options, async (client, output) => {
    const ask = () =>
      client.getPlayback({ params: { assetId }, query: options.version ? { versionId: options.version } : {} });
    let playback: OperationOutput<'getPlayback'>;
    try {
      playback = await ask();
    } catch (err) {
      if (!(err instanceof MediavaultApiError && err.code === 'preview_not_ready')) throw err;
      const version = await versionOf(client, assetId, options.version);
      const state = await previewUnderWay(client, output, version, err.details?.previewStatus);
      if (!options.wait) {
        output.problem(
          `run \`mediavault playback ${assetId}${options.version ? ` --version-id ${options.version}` : ''} --wait\` to wait for it and get the URLs`,
        );
        throw new CliError(
          'preview_not_ready',
          `the preview of ${version.originalName} (version ${version.number}) is ${state}: not ready yet`,
        );
      }
      output.info('waiting for the preview…');
      await waitForPreview(client, version.sha256, {
        timeoutMs: options.timeout ?? 30 * 60_000,
        onState: (s) => output.event('preview-state', { sha256: s.sha256, profile: s.profile, status: s.status }),
      });
      playback = await ask();
    }
    output.event('summary', playback);
    output.line(`player    ${playback.playerUrl}`);
    output.line(`manifest  ${playback.manifestUrl}`);
    output.line(`mp4       ${playback.mp4Url}`);
    output.line(`expires   ${playback.expiresAt}`);
    return exitCodes.ok;
  });
}

/** The version asked for, or the latest. */
async function versionOf(client: MediavaultClient, assetId: string, versionId: string | undefined): Promise<Version> {
  const asset = await client.getAsset({ params: { assetId } });
  const version = versionId ? asset.versions.find((v) => v.id === versionId) : asset.versions[0];
  if (!version) throw new CliError('version_not_found', `asset ${assetId} has no version ${versionId ?? ''}`.trim());
  return version;
}

/**
 * Says where the preview of a version stands, requesting it when nobody has; answers its state.
 * Content that is not audio or video has none to build, and a failed build is reported: both fail.
 */
async function previewUnderWay(
  client: MediavaultClient,
  output: Output,
  version: Version,
  status: unknown,
): Promise<string> {
  const what = `${version.originalName} (version ${version.number})`;
  if (status === 'failed')
    throw new CliError(
      'preview_failed',
      `the preview build of ${what} failed; \`mediavault preview ${version.sha256}\` shows why`,
    );
  if (typeof status === 'string') {
    output.event('preview-state', { sha256: version.sha256, status, requested: false });
    output.info(`the preview of ${what} is being built (${status})`);
    return status;
  }
  if (version.meta.content === 'other')
    throw new CliError('no_preview', `${what} is not audio or video: it has no preview to play`);
  let state: PreviewState;
  try {
    state = await client.requestPreview({ body: { sha256: version.sha256 } });
  } catch (err) {
    if (err instanceof MediavaultApiError && err.status === 403)
      throw new CliError(
        'preview_not_requested',
        `no preview of ${what} has been requested, and your role cannot request one: ask an editor of the project`,
      );
    throw err;
  }
  output.event('preview-state', { sha256: state.sha256, status: state.status, requested: true });
  output.info(`no preview of ${what} had been requested: requested it now (${state.status})`);
  return state.status;
}
