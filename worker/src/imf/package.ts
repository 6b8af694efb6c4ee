/**
 * Recognizing an IMF package among uploaded files, and working out which uploaded versions a
 * CPL's track files are, so the CPL can be linked to them as a sidecar.
 */
import { posix } from 'node:path';
import { parseCpl, type Cpl } from './cpl.ts';
import { parseAssetMap, parsePkl, type AssetMapEntry, type PackingList, type PklAsset } from './packing.ts';
import { imfDocumentKind, readRootElement, type ImfDocumentKind } from './xml-document.ts';

export interface ImfFile {
  /** Name or path relative to the delivery root, '/'-separated ("IMP_1/CPL_….xml"). */
  name: string;
  read(): Promise<string>;
}

export interface ImfPackage {
  /** Null for a lone CPL (or PKL) delivered without its ASSETMAP. */
  assetMap: { file: string; entries: AssetMapEntry[] } | null;
  packingLists: { file: string; pkl: PackingList }[];
  compositions: { file: string; cpl: Cpl }[];
  /** Inconsistencies worth showing on the delivery; none of them stops recognition. */
  warnings: string[];
}

const assetMapName = /^ASSETMAP(\.xml)?$/i;
const imfRootNames = new Set<string>(['CompositionPlaylist', 'PackingList', 'AssetMap']);

/**
 * Looks at the XML files of a delivery (MXF and anything else is never read) and returns the
 * IMF documents found, or null when there is none. Unrelated XML (an FCP XML, a DCP CPL) is
 * ignored; a file that claims to be an IMF document but is malformed throws `unprocessable`
 * naming the file, because a broken CPL in a delivery is something the user must hear about.
 */
export async function recognizeImfPackage(files: readonly ImfFile[]): Promise<ImfPackage | null> {
  const candidates = files.filter((f) => assetMapName.test(posix.basename(f.name)) || /\.xml$/i.test(f.name));
  const result: ImfPackage = { assetMap: null, packingLists: [], compositions: [], warnings: [] };
  for (const file of candidates) {
    const xml = await file.read();
    const kind = claimedKind(xml, file.name);
    if (kind === 'AssetMap') {
      if (result.assetMap)
        result.warnings.push(`more than one ASSETMAP: ${result.assetMap.file} is used, ${file.name} ignored`);
      else result.assetMap = { file: file.name, entries: parseAssetMap(xml, file.name) };
    } else if (kind === 'PackingList') {
      result.packingLists.push({ file: file.name, pkl: parsePkl(xml, file.name) });
    } else if (kind === 'CompositionPlaylist') {
      result.compositions.push({ file: file.name, cpl: parseCpl(xml, file.name) });
    }
  }
  if (!result.assetMap && result.packingLists.length === 0 && result.compositions.length === 0) return null;
  result.warnings.push(...consistencyWarnings(result, files));
  return result;
}

/**
 * The IMF document a file means to be. A well-formed root in an IMF namespace decides; a file
 * named ASSETMAP, or whose root element has an IMF name but a foreign namespace, is parsed
 * anyway only when it is plainly not something else (no namespace at all, or unreadable), so
 * the parser reports what is wrong with it.
 */
function claimedKind(xml: string, name: string): ImfDocumentKind | null {
  const kind = imfDocumentKind(xml);
  if (kind) return kind;
  const root = readRootElement(xml);
  if (assetMapName.test(posix.basename(name))) return 'AssetMap';
  if (root && imfRootNames.has(root.localName) && root.namespace === null) return root.localName as ImfDocumentKind;
  return null;
}

function consistencyWarnings(pkg: ImfPackage, files: readonly ImfFile[]): string[] {
  const warnings: string[] = [];
  const pklAssets = new Map(pkg.packingLists.flatMap(({ pkl }) => pkl.assets.map((a) => [a.id, a] as const)));
  const present = new Set(files.map((f) => normalizePath(f.name)));
  for (const { file, cpl } of pkg.compositions) {
    if (pkg.packingLists.length > 0 && !pklAssets.has(cpl.id))
      warnings.push(`CPL ${file} (${cpl.id}) is not listed in any PKL`);
    for (const trackFileId of cpl.trackFileIds) {
      if (pkg.packingLists.length > 0 && !pklAssets.has(trackFileId))
        warnings.push(`track file ${trackFileId} of CPL ${file} is not listed in any PKL`);
    }
  }
  for (const entry of pkg.assetMap?.entries ?? []) {
    const path = normalizePath(entry.path);
    const found =
      present.has(path) || [...present].some((name) => name.endsWith(`/${path}`) || path.endsWith(`/${name}`));
    if (!found) warnings.push(`${entry.path} (${entry.id}) is in the ASSETMAP but was not delivered`);
  }
  return warnings;
}

function normalizePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}

// ---------------------------------------------------------------------------------------------
// Linking a CPL to the versions that are its track files

export interface KnownVersion {
  versionId: string;
  /** The uploaded file name (a path is fine; only its last part is compared). */
  originalName: string;
  size: number;
  /** Base64 SHA-1 of the bytes, comparable to the PKL Hash, when the ingest computed it. */
  sha1Base64?: string | null;
}

export interface TrackFileLink {
  trackFileId: string;
  versionId: string;
  /** hash: PKL SHA-1 equals the version's; name-and-size: both equal, no hash to compare; name: no PKL to say more. */
  matchedBy: 'hash' | 'name-and-size' | 'name';
  fileName: string | null;
}

export interface TrackFileMismatch {
  trackFileId: string;
  versionId: string;
  fileName: string;
  /** What differs between the PKL and the version that has the track file's name. */
  differs: 'hash' | 'size';
  expected: string | number;
  actual: string | number;
}

export interface CplLinks {
  cplId: string;
  links: TrackFileLink[];
  /** Track files with no matching version (not delivered, or renamed without a hash to find them by). */
  missing: { trackFileId: string; fileName: string | null; size: number | null; hash: string | null }[];
  /** A version carries the track file's name but not its bytes: a wrong or damaged file. */
  mismatched: TrackFileMismatch[];
}

/**
 * Pure: for each track file the CPL references, the versions that are that file. The PKL gives
 * hash, size and original name; the ASSETMAP gives the delivered path. A hash match is proof;
 * without a version hash, name and size together are accepted; with no PKL at all only the
 * name can be compared (reported as such). A version whose name matches but whose hash or size
 * contradicts the PKL is reported as mismatched and not linked.
 */
export function linkCplToVersions(
  cpl: Pick<Cpl, 'id' | 'trackFileIds'>,
  pkl: PackingList | null,
  assetMap: readonly AssetMapEntry[] | null,
  versions: readonly KnownVersion[],
): CplLinks {
  const result: CplLinks = { cplId: cpl.id, links: [], missing: [], mismatched: [] };
  for (const trackFileId of cpl.trackFileIds) {
    const asset = pkl?.assets.find((a) => a.id === trackFileId) ?? null;
    const mappedPath = assetMap?.find((e) => e.id === trackFileId)?.path ?? null;
    const names = [
      mappedPath && posix.basename(mappedPath),
      asset?.originalFileName && posix.basename(asset.originalFileName),
    ].filter((n): n is string => Boolean(n));
    const fileName = names[0] ?? null;
    const linked = linkOne(trackFileId, asset, names, versions, result.mismatched);
    if (linked.length > 0) result.links.push(...linked.map((l) => ({ ...l, fileName })));
    else result.missing.push({ trackFileId, fileName, size: asset?.size ?? null, hash: asset?.hash ?? null });
  }
  return result;
}

function linkOne(
  trackFileId: string,
  asset: PklAsset | null,
  names: string[],
  versions: readonly KnownVersion[],
  mismatched: TrackFileMismatch[],
): Omit<TrackFileLink, 'fileName'>[] {
  if (asset) {
    const byHash = versions.filter((v) => v.sha1Base64 && v.sha1Base64 === asset.hash);
    if (byHash.length > 0)
      return byHash.map((v) => ({ trackFileId, versionId: v.versionId, matchedBy: 'hash' as const }));
  }
  const sameName = versions.filter((v) => names.some((n) => sameFileName(n, v.originalName)));
  if (!asset) return sameName.map((v) => ({ trackFileId, versionId: v.versionId, matchedBy: 'name' as const }));
  const links: Omit<TrackFileLink, 'fileName'>[] = [];
  for (const version of sameName) {
    const fileName = posix.basename(version.originalName.replace(/\\/g, '/'));
    if (version.size !== asset.size) {
      mismatched.push({
        trackFileId,
        versionId: version.versionId,
        fileName,
        differs: 'size',
        expected: asset.size,
        actual: version.size,
      });
    } else if (version.sha1Base64 && version.sha1Base64 !== asset.hash) {
      mismatched.push({
        trackFileId,
        versionId: version.versionId,
        fileName,
        differs: 'hash',
        expected: asset.hash,
        actual: version.sha1Base64,
      });
    } else {
      links.push({ trackFileId, versionId: version.versionId, matchedBy: 'name-and-size' });
    }
  }
  return links;
}

/** Exact first; otherwise case-insensitive, because NAS shares and Windows tools change case. */
function sameFileName(expected: string, originalName: string): boolean {
  const actual = posix.basename(originalName.replace(/\\/g, '/'));
  return actual === expected || actual.toLowerCase() === expected.toLowerCase();
}
