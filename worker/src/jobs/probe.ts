import { masterKey } from '@mediavault/core/keys';
import type { ProbeJob } from '@mediavault/core/jobs';
import { probeFile } from '../media/probe.ts';
import type { WorkerDeps } from '../worker.ts';
import { createWorkspace, localCopy } from './materialize.ts';
import { setJobState } from './job-state.ts';

/** Probes a master with ffprobe and stores the summary on every version of those bytes. */
export async function handleProbe(deps: WorkerDeps, job: ProbeJob): Promise<void> {
  const workspace = await createWorkspace('probe');
  try {
    await setJobState(deps.pool, 'probe', job.versionId, 'active');
    const input = await localCopy(deps.storages.masters, masterKey(job.sha256), workspace);
    let meta: Record<string, unknown>;
    try {
      const summary = await probeFile(input);
      meta = { ...summary, probedAt: new Date().toISOString() };
    } catch (err) {
      // Not media ffprobe understands (a PDF, a sidecar): record why, do not retry.
      meta = { probeError: (err as Error).message, probedAt: new Date().toISOString() };
    }
    await deps.pool.query(`UPDATE versions SET meta = meta || $2::jsonb WHERE sha256 = $1`, [job.sha256, JSON.stringify(meta)]);
    await setJobState(deps.pool, 'probe', job.versionId, 'completed');
  } finally {
    await workspace.dispose();
  }
}
