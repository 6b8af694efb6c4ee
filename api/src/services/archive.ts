/**
 * What the archive already holds, asked before reading a file whole: a client sends the size and
 * fingerprint (core/src/fingerprint.ts: the sha256 of the first and last MiB) of each file, and
 * learns which match a master of a project it can read. Only then does it hash the whole file
 * and presign with the sha256, which answers "duplicate" and sends nothing. Content held only in
 * projects the caller cannot read answers exactly as unknown content does; no sha256 is revealed.
 */
import { matchMasterFingerprints } from '@mediavault/core/catalogue/masters-store';
import type { ApiDeps, RequestContext } from '../deps.ts';
import { readableProjectIds } from './access.ts';

export async function matchArchivedContent(
  { pool }: ApiDeps,
  { caller }: RequestContext,
  files: { size: number; fingerprint: string }[],
): Promise<{ matches: boolean[] }> {
  const matched = await matchMasterFingerprints(pool, await readableProjectIds(pool, caller), files);
  return { matches: files.map((_, i) => matched.has(i)) };
}
