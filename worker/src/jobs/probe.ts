import { open } from 'node:fs/promises';
import { isAppError, withoutServerPaths } from '@mediavault/core/errors';
import { masterKey } from '@mediavault/core/keys';
import { sendJob, type ProbeJob } from '@mediavault/core/jobs';
import { transitionJob } from '@mediavault/core/catalogue/jobs-store';
import { findCompositionsNear, mergeVersionMeta } from '@mediavault/core/catalogue/versions-store';
import { summarizeProbe } from '../media/probe.ts';
import { readTechnicalReports } from '../qc/probe-technical.ts';
import { technicalMetadata } from '../qc/technical-metadata.ts';
import { detectAs11 } from '../imf/as11.ts';
import { isCpl } from '../imf/cpl.ts';
import type { WorkerDeps } from '../worker.ts';
import { createWorkspace, localCopy } from './materialize.ts';
import { linkImfComposition } from './imf-links.ts';
import { looksLikeXml } from '../media/sniff.ts';
import { maxXmlBytes } from '../imf/xml-document.ts';

/**
 * The file's text when it is an XML document: it starts like one (looksLikeXml) and is at most
 * maxXmlBytes. Anything else (binary data that happens to start with `<`, a huge file) is null
 * and goes to the media probe instead of being read whole into memory.
 */
export async function readXmlDocument(path: string): Promise<string | null> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > maxXmlBytes) return null;
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(256), 0, 256, 0);
    if (!looksLikeXml(buffer.subarray(0, bytesRead))) return null;
    return (await handle.readFile({ encoding: 'utf8' })) as string;
  } finally {
    await handle.close();
  }
}

/**
 * Technical metadata of a master, stored on every version of those bytes:
 * MediaInfo + ffprobe as EBUCore-shaped `technical`, the ffprobe summary the
 * previews use, AS-11 descriptive metadata when present, and for an IMF CPL
 * its parsed composition and links to the track files delivered with it.
 */
export async function handleProbe(deps: WorkerDeps, job: ProbeJob): Promise<void> {
  const workspace = await createWorkspace('probe');
  try {
    await transitionJob(deps.pool, 'probe', job.versionId, 'start');
    const input = await localCopy(deps.storages.masters, masterKey(job.sha256), workspace);
    const meta: Record<string, unknown> = { probedAt: new Date().toISOString() };
    const xml = await readXmlDocument(input);
    if (xml !== null) {
      if (isCpl(xml)) {
        try {
          meta.imf = await linkImfComposition(deps, job.versionId, job.sha256, xml);
        } catch (err) {
          if (!isAppError(err)) throw err;
          meta.imf = { kind: 'imf-cpl', error: withoutServerPaths(err.message) };
        }
      } else {
        meta.document = 'xml';
      }
    } else {
      try {
        const reports = await readTechnicalReports(input);
        Object.assign(meta, summarizeProbe(reports.ffprobe));
        meta.technical = technicalMetadata(reports.mediainfo, reports.ffprobe);
        const as11 = detectAs11(reports.mediainfo);
        if (as11.as11) meta.as11 = as11;
      } catch (err) {
        // Not media ffprobe understands (a PDF, a sidecar): record why, do not retry.
        if (!isAppError(err) || err.status >= 500) throw err;
        meta.probeError = withoutServerPaths(err.message);
      }
      await relinkCompositionsNear(deps, job.versionId);
    }
    await mergeVersionMeta(deps.pool, job.sha256, meta);
    await transitionJob(deps.pool, 'probe', job.versionId, 'complete');
  } finally {
    await workspace.dispose();
  }
}

/** A track file may arrive after its CPL: probe the collection's CPLs again so they link it. */
async function relinkCompositionsNear(deps: WorkerDeps, versionId: string): Promise<void> {
  for (const cpl of await findCompositionsNear(deps.pool, versionId))
    await sendJob(deps.boss, 'probe', { versionId: cpl.versionId, sha256: cpl.sha256 });
}
