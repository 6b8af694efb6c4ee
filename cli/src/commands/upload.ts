import { hashFile, promoteAndWait, uploadFile, type MediavaultClient } from '@mediavault/sdk';
import { connect, resolveConnection, resolveProject } from '../connection.ts';
import { exitCodes } from '../exit-codes.ts';
import { createOutput, errorFields, formatBytes, reportFailure, throughput } from '../output.ts';
import { planUpload, type PlannedFile } from '../upload-plan.ts';
import type { ActiveFile, UploadViewState } from '../views/upload-view.ts';

export interface UploadOptions {
  project?: string;
  promote?: boolean;
  collection?: string;
  /** Parts in flight per file. */
  concurrency: number;
  /** Files in flight. */
  parallel: number;
  hashFirst?: boolean;
  json?: boolean;
  profile?: string;
}

type FileStatus = 'uploaded' | 'duplicate' | 'promoted' | 'deduplicated' | 'failed';

interface FileOutcome {
  path: string;
  sha256: string | null;
  assetId: string | null;
  versionId: string | null;
  status: FileStatus;
}

interface Tally {
  sent: number;
  deduplicated: number;
  failed: number;
  bytes: number;
}

/**
 * `mediavault upload <paths…>`: every file is uploaded (and with --promote,
 * promoted with the sha256 computed while uploading, and awaited). One file's
 * failure never stops the others; the exit code says whether all, some or none
 * made it.
 */
export async function runUpload(paths: string[], options: UploadOptions): Promise<number> {
  const output = createOutput(options.json ?? false);
  let client: MediavaultClient | undefined;
  try {
    const connection = resolveConnection(options);
    client = connect(connection);
    const project = await resolveProject(client, options.project, connection);
    const plan = await planUpload(paths, options.collection);
    const outcomes: FileOutcome[] = [];
    const tally: Tally = { sent: 0, deduplicated: 0, failed: 0, bytes: 0 };
    for (const problem of plan.problems) {
      output.event('error', { path: problem.path, code: problem.code, message: problem.message });
      output.problem(`error  ${problem.message}`);
      outcomes.push({ path: problem.path, sha256: null, assetId: null, versionId: null, status: 'failed' });
      tally.failed++;
    }

    const view = !output.json && process.stdout.isTTY ? createViewState(plan.files) : null;
    // ink (and React) load only when there is a terminal to draw on.
    const screen = view ? (await import('../views/upload-view.ts')).startUploadView(view) : null;
    const say = (line: string) => {
      if (view) view.recent = [...view.recent, line].slice(-5);
      else output.line(line);
    };

    const processFile = async (file: PlannedFile): Promise<void> => {
      const active: ActiveFile = { path: file.path, size: file.size, bytesSent: 0, phase: options.hashFirst ? 'hashing' : 'uploading' };
      view?.active.push(active);
      screen?.update();
      output.event('file-start', { path: file.path, name: file.name, size: file.size, ...(options.promote && file.collectionPath ? { collectionPath: file.collectionPath } : {}) });
      let sha256: string | null = null;
      try {
        const known = options.hashFirst ? (await hashFile(file.path)).sha256 : undefined;
        active.phase = 'uploading';
        const uploaded = await uploadFile(client!, {
          path: file.path, projectId: project.id, name: file.name, sha256: known, concurrency: options.concurrency,
          onProgress: (p) => {
            if (view) view.bytesSent += p.bytesSent - active.bytesSent;
            active.bytesSent = p.bytesSent;
            screen?.update();
          },
        });
        sha256 = uploaded.sha256;
        tally.bytes += uploaded.bytesSent;
        let outcome: FileOutcome;
        if (uploaded.status === 'duplicate') {
          tally.deduplicated++;
          if (view) view.bytesSent += file.size;
          output.event('dedup', { path: file.path, sha256, assetId: uploaded.assetId, versionId: uploaded.versionId });
          outcome = { path: file.path, sha256, assetId: uploaded.assetId, versionId: uploaded.versionId, status: 'duplicate' };
        } else {
          tally.sent++;
          outcome = { path: file.path, sha256, assetId: null, versionId: null, status: 'uploaded' };
        }
        if (options.promote) {
          active.phase = 'promoting';
          screen?.update();
          const promoted = await promoteAndWait(client!, {
            uploadId: uploaded.uploadId, sha256,
            mapping: { projectId: project.id, assetName: file.name, ...(file.collectionPath ? { collectionPath: file.collectionPath } : {}) },
          });
          outcome = { path: file.path, sha256, assetId: promoted.assetId, versionId: promoted.versionId, status: promoted.status };
        }
        outcomes.push(outcome);
        output.event('file-done', { ...outcome, size: file.size, uploadId: uploaded.uploadId, ...(options.promote && file.collectionPath ? { collectionPath: file.collectionPath } : {}) });
        say(`${outcome.status.padEnd(12)} ${file.path}  ${formatBytes(file.size)}  sha256:${sha256.slice(0, 12)}${outcome.assetId ? `  asset ${outcome.assetId}` : ''}`);
      } catch (err) {
        tally.failed++;
        const fields = errorFields(err);
        outcomes.push({ path: file.path, sha256, assetId: null, versionId: null, status: 'failed' });
        output.event('error', { path: file.path, ...fields });
        if (view) {
          view.failed++;
          say(`failed       ${file.path}: ${fields.message}`);
        } else {
          output.problem(`error  ${file.path}: ${fields.message}${fields.requestId ? ` (request id ${fields.requestId})` : ''}`);
        }
      } finally {
        if (view) {
          view.finished++;
          view.active = view.active.filter((a) => a !== active);
        }
        screen?.update();
      }
    };

    const startedAt = Date.now();
    await runPool(plan.files, Math.max(1, options.parallel), processFile);
    screen?.finish();

    const byPath = new Map(outcomes.map((o) => [o.path, o]));
    const ordered = [...plan.problems.map((p) => p.path), ...plan.files.map((f) => f.path)].map((p) => byPath.get(p)!);
    output.event('summary', { files: ordered, ...tally });
    const elapsed = Date.now() - startedAt;
    output.line(`${ordered.length} file${ordered.length === 1 ? '' : 's'}: ${tally.sent} sent, ${tally.deduplicated} already stored, ${tally.failed} failed; ${formatBytes(tally.bytes)} in ${(elapsed / 1000).toFixed(1)} s (${throughput({ bytesSent: tally.bytes, startedAt, now: Date.now() })})`);
    if (ordered.length === 0) return exitCodes.ok;
    if (tally.failed === 0) return exitCodes.ok;
    return tally.failed === ordered.length ? exitCodes.failed : exitCodes.partlyFailed;
  } catch (err) {
    return reportFailure(output, err);
  } finally {
    await client?.close();
  }
}

function createViewState(files: PlannedFile[]): UploadViewState {
  const now = Date.now();
  return { totalFiles: files.length, totalBytes: files.reduce((sum, f) => sum + f.size, 0), bytesSent: 0, finished: 0, failed: 0, startedAt: now, now, active: [], recent: [] };
}

/** Runs `work` over the items with at most `limit` at once, in order of start. */
async function runPool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}
