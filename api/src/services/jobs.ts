/** Background jobs of the organization, as the catalogue records them (organization admins). */
import type { JobState } from '@mediavault/core/transitions';
import { listJobRuns, type JobKind, type JobRun } from '@mediavault/core/catalogue/jobs-store';
import type { ApiDeps, RequestContext } from '../deps.ts';
import { requireOrgAdmin } from './access.ts';

export async function listJobs(
  { pool }: ApiDeps,
  { caller }: RequestContext,
  filter: { state?: JobState; kind?: JobKind; limit: number },
): Promise<JobRun[]> {
  requireOrgAdmin(caller);
  return listJobRuns(pool, caller.organizationId, filter);
}
