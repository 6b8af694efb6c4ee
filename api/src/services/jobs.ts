/** Background jobs of the organization, as the catalogue records them (organization admins). */
import type { JobState } from '@mediavault/core/transitions';
import { listJobRuns, type JobKind, type JobRun } from '@mediavault/core/catalogue/jobs-store';
import type { ApiDeps, RequestContext } from '../deps.ts';
import { requireOrgAdmin } from './access.ts';
import { decodeCursor, encodeCursor } from './page-cursor.ts';

export async function listJobs(
  { pool }: ApiDeps,
  { caller }: RequestContext,
  filter: { state?: JobState; kind?: JobKind; limit: number; cursor?: string },
): Promise<{ items: JobRun[]; nextCursor: string | null }> {
  requireOrgAdmin(caller);
  const { cursor, ...rest } = filter;
  const { items, next } = await listJobRuns(pool, caller.organizationId, {
    ...rest,
    after: cursor ? decodeCursor(cursor) : null,
  });
  return { items, nextCursor: next ? encodeCursor(next) : null };
}
