import type { Pool } from '@mediavault/core/db/pool';
import { can } from '@mediavault/core/roles';
import { projectRole, readsSha, type Caller } from './access.ts';
import type { CatalogueEvent } from '@mediavault/core/catalogue/event-feed';

export { EventHub, type CatalogueEvent } from '@mediavault/core/catalogue/event-feed';

/**
 * Decides, per event, whether this caller may see it: the same rules as the
 * REST routes (project role for uploads, comments, approvals and share audit, a readable
 * version for a sha256, organization admins for jobs). Answers are cached briefly per subscriber.
 */
export function eventScope(pool: Pool, caller: Caller) {
  const cache = new Map<string, { allowed: boolean; at: number }>();
  const cached = async (key: string, decide: () => Promise<boolean>) => {
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < 30_000) return hit.allowed;
    const allowed = await decide().catch(() => false);
    cache.set(key, { allowed, at: Date.now() });
    return allowed;
  };
  const readsProject = (projectId: string) =>
    cached(`p:${projectId}`, async () => can(await projectRole(pool, caller, projectId), 'asset.read'));
  const readsContent = (sha: string) => cached(`s:${sha}`, () => readsSha(pool, caller, sha));

  return async (event: CatalogueEvent): Promise<boolean> => {
    switch (event.type) {
      case 'upload':
      // Review changes reach whoever may read the asset's project, as its REST routes do. Internal
      // comments are for members, and every caller here is one: guests (issue 14) get their own scope.
      case 'comment':
      case 'approval':
      // A share's audit trail (opens, plays, downloads, failed passwords) is for its project's members,
      // as listShareAudit is; guests have no event stream.
      case 'share':
        return event.organizationId === caller.organizationId && (await readsProject(event.projectId));
      case 'preview':
      case 'watermark':
        return readsContent(event.sha256);
      case 'job':
        if (event.organizationId) return event.organizationId === caller.organizationId && caller.isOrgAdmin;
        // preview jobs are keyed by sha256:profile and belong to every organization holding those bytes
        return (
          caller.isOrgAdmin && /^[0-9a-f]{64}/.test(event.subject) && (await readsContent(event.subject.slice(0, 64)))
        );
      case 'token':
        return false;
    }
  };
}
