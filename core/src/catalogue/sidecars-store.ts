/**
 * Sidecars: documents that travel with versions (ASC MHL manifests, delivery PDFs,
 * IMF compositions linked to their track files).
 */
import type { PoolClient } from '../db/pool.ts';

export interface NewSidecar {
  kind: string;
  name: string;
  storageKey: string;
  sha256: string;
  meta: Record<string, unknown>;
}

/**
 * Attaches one document to versions; a version that already has this document (same
 * kind and sha256) keeps its sidecar. Answers the sidecar id of each version, in order.
 */
export async function attachSidecar(db: PoolClient, versionIds: string[], sidecar: NewSidecar): Promise<string[]> {
  const ids: string[] = [];
  for (const versionId of versionIds) {
    const existing = await db.query<{ id: string }>(
      'SELECT id FROM sidecars WHERE version_id = $1 AND kind = $2 AND sha256 = $3',
      [versionId, sidecar.kind, sidecar.sha256],
    );
    if (existing.rows[0]) {
      ids.push(existing.rows[0].id);
      continue;
    }
    const inserted = await db.query<{ id: string }>(
      `INSERT INTO sidecars (version_id, kind, name, storage_key, sha256, meta) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [versionId, sidecar.kind, sidecar.name, sidecar.storageKey, sidecar.sha256, sidecar.meta],
    );
    ids.push(inserted.rows[0]!.id);
  }
  return ids;
}

/**
 * Replaces every link of one document of a kind (by its sha256) with the given ones:
 * an IMF composition is linked again from scratch each time a file of its package arrives.
 */
export async function replaceSidecarLinks(
  db: PoolClient,
  kind: string,
  sha256: string,
  links: { versionId: string; name: string; storageKey: string; meta: Record<string, unknown> }[],
): Promise<void> {
  await db.query('DELETE FROM sidecars WHERE kind = $1 AND sha256 = $2', [kind, sha256]);
  for (const link of links) {
    await db.query(
      'INSERT INTO sidecars (version_id, kind, name, storage_key, sha256, meta) VALUES ($1, $2, $3, $4, $5, $6)',
      [link.versionId, kind, link.name, link.storageKey, sha256, link.meta],
    );
  }
}
