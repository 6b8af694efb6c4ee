import type { MediavaultClient } from './client.ts';
import { MediavaultApiError, MediavaultError } from './errors.ts';
import type { OperationInput, OperationOutput } from './operation-types.ts';
import { openEventStream } from './event-stream.ts';
import { delay, pollUntil } from './polling.ts';

export type PromoteMapping = NonNullable<OperationInput<'promote'>['body']['mapping']>;
export type PreviewState = OperationOutput<'getPreview'>;

export interface PromoteAndWaitOptions {
  /** The upload to promote; null/absent promotes bytes already in masters (a duplicate) by sha256, which needs mapping.projectId. */
  uploadId?: string | null;
  sha256: string;
  mapping?: PromoteMapping;
  /** Default 15 minutes: promotion re-reads and hashes the whole staged object. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface PromoteResult {
  status: 'promoted' | 'deduplicated';
  uploadId: string | null;
  assetId: string;
  versionId: string;
}

/**
 * Promotes staged bytes into masters and waits until the version exists. A
 * failed promotion (e.g. sha256 mismatch) rejects with the job's error code.
 */
export async function promoteAndWait(client: MediavaultClient, options: PromoteAndWaitOptions): Promise<PromoteResult> {
  const { signal } = options;
  const answer = await client.promote(
    {
      body: {
        sha256: options.sha256,
        ...(options.uploadId ? { uploadId: options.uploadId } : {}),
        ...(options.mapping ? { mapping: options.mapping } : {}),
      },
    },
    { signal },
  );
  if (answer.status !== 'promoting') return answer;
  const uploadId = answer.uploadId;
  return pollUntil(`the promotion of upload ${uploadId}`, () => promotionOutcome(client, uploadId, signal), {
    timeoutMs: options.timeoutMs ?? 15 * 60_000,
    signal,
  });
}

/**
 * Where a promotion stands, from the server: its result once promoted, a thrown
 * error carrying the job's own code once failed, undefined while it runs.
 */
export async function promotionOutcome(
  client: MediavaultClient,
  uploadId: string,
  signal?: AbortSignal,
): Promise<PromoteResult | undefined> {
  const upload = await client.getUpload({ params: { uploadId } }, { signal });
  if (upload.status === 'promoted' && upload.assetId && upload.versionId) {
    return { status: 'promoted', uploadId, assetId: upload.assetId, versionId: upload.versionId };
  }
  if (upload.status === 'failed' || upload.status === 'aborted') {
    const error = (upload.error ?? {}) as { code?: unknown; message?: unknown };
    throw new MediavaultError(
      typeof error.code === 'string' ? error.code : 'promotion_failed',
      typeof error.message === 'string' ? error.message : `the promotion of upload ${uploadId} ${upload.status}`,
      { details: { uploadId, ...(upload.error ?? {}) } },
    );
  }
  return undefined;
}

export interface WaitForPreviewOptions {
  /** Default 30 minutes. */
  timeoutMs?: number;
  /** A preview profile the api knows (its spec lists them). */
  profile?: NonNullable<NonNullable<OperationInput<'getPreview'>['query']>['profile']>;
  signal?: AbortSignal;
  /** Called whenever the state changes (queued → building → ready), the first state read included. */
  onState?: (state: PreviewState) => void;
  /** While the event stream is live, the state is read again this often all the same (default 30 s). */
  safetyPollMs?: number;
}

/** How long the event stream may take to say it is live before the wait reads state without it. */
const streamStartMs = 5_000;

/**
 * Waits until the preview set of a master is ready; rejects with code
 * `preview_failed` when the build failed. "None requested yet" (404) counts as
 * not ready: promotion requests the default preview itself. The state is read
 * once the api's event stream for this sha256 is live, then again on each of its
 * events; without the stream, with a pause growing from 200 ms to 2 s.
 */
export async function waitForPreview(
  client: MediavaultClient,
  sha256: string,
  options: WaitForPreviewOptions = {},
): Promise<PreviewState> {
  const deadline = Date.now() + (options.timeoutMs ?? 30 * 60_000);
  const stream = openEventStream(client, { sha256 });
  const onAbort = () => stream.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await stream.whenLive(Math.min(streamStartMs, Math.max(0, deadline - Date.now())));
    let last: string | undefined;
    let pause = 200;
    for (;;) {
      options.signal?.throwIfAborted();
      const seen = stream.received;
      const state = await readPreview(client, sha256, options);
      if (state && state.status !== last) {
        last = state.status;
        options.onState?.(state);
      }
      if (state?.status === 'ready') return state;
      if (state?.status === 'failed') {
        const error = (state.error ?? {}) as { message?: unknown };
        throw new MediavaultError(
          'preview_failed',
          `the preview of ${sha256} failed: ${typeof error.message === 'string' ? error.message : 'see the worker logs'}`,
          { details: { ...(state.error ?? {}) } },
        );
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new MediavaultError(
          'timeout',
          `timed out after ${options.timeoutMs ?? 30 * 60_000} ms waiting for the preview of ${sha256}`,
        );
      if (stream.isLive) {
        await stream.after(seen, Math.min(left, options.safetyPollMs ?? 30_000));
      } else {
        await delay(Math.min(pause, left), options.signal);
        pause = Math.min(pause * 1.5, 2000);
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    stream.close();
  }
}

/** The preview's state, or null while none is requested (404 for the preview, not for the content). */
async function readPreview(
  client: MediavaultClient,
  sha256: string,
  options: WaitForPreviewOptions,
): Promise<PreviewState | null> {
  try {
    return await client.getPreview(
      { params: { sha256 }, query: options.profile ? { profile: options.profile } : {} },
      { signal: options.signal },
    );
  } catch (err) {
    // 404 'preview ... not found' = not requested yet; 'version with this sha256 not found' is final.
    if (err instanceof MediavaultApiError && err.status === 404 && err.message.startsWith('preview')) return null;
    throw err;
  }
}
