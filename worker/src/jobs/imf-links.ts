import { open } from 'node:fs/promises';
import { withTransaction } from '@mediavault/core/db/pool';
import { masterKey } from '@mediavault/core/keys';
import { replaceSidecarLinks } from '@mediavault/core/catalogue/sidecars-store';
import { findCollectionLatestVersions } from '@mediavault/core/catalogue/versions-store';
import type { Storage } from '@mediavault/core/storage/types';
import { parseCpl } from '../imf/cpl.ts';
import { linkCplToVersions, type KnownVersion } from '../imf/package.ts';
import { parseAssetMap, parsePkl, type AssetMapEntry, type PackingList } from '../imf/packing.ts';
import { maxXmlBytes } from '../imf/xml-document.ts';
import type { WorkerDeps } from '../worker.ts';

async function readText(storage: Storage, sha: string): Promise<string> {
  const tooLarge = () => new Error(`XML document larger than ${maxXmlBytes / 1024 ** 2} MiB`);
  const local = storage.localPath?.(masterKey(sha));
  if (local) {
    const handle = await open(local, 'r');
    try {
      if ((await handle.stat()).size > maxXmlBytes) throw tooLarge();
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of await storage.get(masterKey(sha))) {
    size += (chunk as Buffer).length;
    if (size > maxXmlBytes) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A CPL promoted into a project: parse it, find its PKL and ASSETMAP among the
 * versions of the same collection, and link the CPL as a sidecar to every
 * version that is one of its track files. Re-run whenever a file of the
 * collection is promoted (the package may arrive in any order); idempotent.
 */
export async function linkImfComposition(deps: WorkerDeps, cplVersionId: string, cplSha: string, cplXml: string) {
  const { pool, storages } = deps;
  const cpl = parseCpl(cplXml);
  const siblings = await findCollectionLatestVersions(pool, cplVersionId);
  let pkl: PackingList | null = null;
  let assetMap: AssetMapEntry[] | null = null;
  for (const s of siblings) {
    const name = s.originalName.split('/').pop() ?? '';
    if (!pkl && /^PKL.*\.xml$/i.test(name)) pkl = parsePkl(await readText(storages.masters, s.sha256), name);
    if (!assetMap && /^ASSETMAP(\.xml)?$/i.test(name))
      assetMap = parseAssetMap(await readText(storages.masters, s.sha256), name);
  }
  const known: KnownVersion[] = siblings
    .filter((s) => s.versionId !== cplVersionId)
    .map((s) => ({ versionId: s.versionId, originalName: s.originalName, size: s.size }));
  const result = linkCplToVersions(cpl, pkl, assetMap, known);
  await withTransaction(pool, (db) =>
    replaceSidecarLinks(
      db,
      'imf-cpl',
      cplSha,
      result.links.map((link) => ({
        versionId: link.versionId,
        name: cpl.title,
        storageKey: masterKey(cplSha),
        meta: {
          cplId: cpl.id,
          title: cpl.title,
          editRate: cpl.editRate,
          durationFrames: cpl.durationFrames,
          trackFileId: link.trackFileId,
          matchedBy: link.matchedBy,
        },
      })),
    ),
  );
  return {
    kind: 'imf-cpl',
    cplId: cpl.id,
    title: cpl.title,
    editRate: cpl.editRate,
    durationFrames: cpl.durationFrames,
    durationSeconds: cpl.durationSeconds,
    trackFileIds: cpl.trackFileIds,
    packingList: pkl ? pkl.id : null,
    assetMap: assetMap !== null,
    linked: result.links.map((l) => ({ versionId: l.versionId, trackFileId: l.trackFileId, matchedBy: l.matchedBy })),
    missing: result.missing,
    mismatched: result.mismatched,
  };
}
