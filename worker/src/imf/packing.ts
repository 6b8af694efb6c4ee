/**
 * The Packing List (SMPTE ST 2067-2 / ST 429-8), which names and hashes every asset of a
 * delivery, and the Asset Map (SMPTE ST 429-9), which says where each asset's file lies.
 */
import { DocumentReader, child, children, parseImfDocument } from './xml-document.ts';

export interface PklAsset {
  /** urn:uuid; for a track file, the same Id a CPL's TrackFileId uses. */
  id: string;
  /** Base64 of the asset's SHA-1 digest (the PKL default, xmldsig#sha1). */
  hash: string;
  /** The digest algorithm URI when the PKL names one (ST 2067-2:2016 HashAlgorithm). */
  hashAlgorithm: string | null;
  size: number;
  /** "application/mxf", "text/xml", or ST 429-8's "application/x-smpte-mxf;asdcpKind=Picture". */
  type: string;
  originalFileName: string | null;
}

export interface PackingList {
  id: string;
  assets: PklAsset[];
}

export function parsePkl(xml: string, source?: string): PackingList {
  const root = parseImfDocument(xml, 'PackingList', source);
  const read = new DocumentReader('PackingList', source);
  const assetNodes = children(child(root, 'AssetList'), 'Asset');
  if (assetNodes.length === 0) read.fail('lists no Asset', { element: 'AssetList' });
  const assets = assetNodes.map((asset, i) => {
    const at = `Asset[${i + 1}]`;
    const hash = read.text(asset, 'Hash', `${at}/Hash`);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(hash))
      read.fail(`has an invalid ${at}/Hash: "${hash}" is not base64`, { element: `${at}/Hash` });
    const algorithm = child(child(asset, 'HashAlgorithm'), '@Algorithm');
    return {
      id: read.uuid(asset, 'Id', `${at}/Id`),
      hash,
      hashAlgorithm: typeof algorithm === 'string' ? algorithm : null,
      size: read.count(asset, 'Size', `${at}/Size`),
      type: read.text(asset, 'Type', `${at}/Type`),
      originalFileName: read.optionalText(asset, 'OriginalFileName'),
    };
  });
  return { id: read.uuid(root, 'Id', 'Id'), assets };
}

export interface AssetMapEntry {
  id: string;
  /** Path relative to the package root, '/'-separated, from the asset's first chunk. */
  path: string;
  /** True for the packing list(s) of the volume. */
  packingList: boolean;
}

export function parseAssetMap(xml: string, source?: string): AssetMapEntry[] {
  const root = parseImfDocument(xml, 'AssetMap', source);
  const read = new DocumentReader('AssetMap', source);
  const assetNodes = children(child(root, 'AssetList'), 'Asset');
  if (assetNodes.length === 0) read.fail('lists no Asset', { element: 'AssetList' });
  return assetNodes.map((asset, i) => {
    const at = `Asset[${i + 1}]`;
    const chunk = children(child(asset, 'ChunkList'), 'Chunk')[0];
    const path = read.text(chunk, 'Path', `${at}/ChunkList/Chunk/Path`).replace(/\\/g, '/');
    if (path.startsWith('/') || path.split('/').includes('..')) {
      read.fail(`has ${at} pointing outside the package: "${path}"`, { element: `${at}/ChunkList/Chunk/Path`, path });
    }
    return {
      id: read.uuid(asset, 'Id', `${at}/Id`),
      path: path.replace(/^(\.\/)+/, ''),
      packingList: read.optionalText(asset, 'PackingList')?.toLowerCase() === 'true',
    };
  });
}
