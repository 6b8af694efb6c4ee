import { errors } from './errors.ts';
import { isSha256Hex } from './keys.ts';

/**
 * Promotion rules: where a staged upload lands in the catalogue. Pure; the
 * promotion job applies the decision inside one transaction.
 */

export interface PromotionMapping {
  projectId: string;
  /** Slash-separated collection path inside the project, e.g. "day01/cam-a". */
  collectionPath?: string;
  /** Asset name; defaults to the upload's file name. */
  assetName?: string;
  /** Promote as a new version of this asset instead of a new asset. */
  assetId?: string;
}

/** Normalizes a collection path to NFC segments; refuses traversal and empty segments. */
export function normalizeCollectionPath(path: string | undefined): string[] {
  if (path === undefined || path === '' || path === '/') return [];
  const segments = path
    .normalize('NFC')
    .replace(/^\/+|\/+$/g, '')
    .split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw errors.badRequest(`collection path ${JSON.stringify(path)} has an empty, "." or ".." segment`, {
        field: 'mapping.collectionPath',
      });
    }
    if (segment.length > 255 || /[\u0000-\u001f\\]/.test(segment)) {
      throw errors.badRequest(`collection path segment ${JSON.stringify(segment)} is not allowed`, {
        field: 'mapping.collectionPath',
      });
    }
  }
  return segments;
}

export function normalizeAssetName(name: string): string {
  const normalized = name.normalize('NFC').trim();
  if (
    normalized === '' ||
    normalized === '.' ||
    normalized === '..' ||
    /[/\\\u0000-\u001f]/.test(normalized) ||
    normalized.length > 255
  ) {
    throw errors.badRequest(
      `asset name ${JSON.stringify(name)} is not allowed: no slashes, control characters, "." or ".."`,
      { field: 'name' },
    );
  }
  return normalized;
}

export type PromotionTarget =
  | { kind: 'new-version'; assetId: string }
  | { kind: 'existing-version'; assetId: string; versionId: string }
  | { kind: 'new-asset'; name: string };

/**
 * Decides what a promotion does, given what the catalogue already holds:
 * - the same bytes already a version of the target asset → that version (idempotent);
 * - an explicit assetId → a new version of it;
 * - an asset of the same name in the same collection with the same bytes → that version (idempotent re-run);
 * - an asset of the same name in the same collection with other bytes → a new version of it (version stack);
 * - otherwise a new asset.
 */
export function decidePromotionTarget(input: {
  mapping: PromotionMapping;
  fileName: string;
  sha256: string;
  explicitAsset: { id: string; versionShas: Record<string, string> } | null;
  sameNameAsset: { id: string; versionShas: Record<string, string> } | null;
}): PromotionTarget {
  if (!isSha256Hex(input.sha256))
    throw errors.badRequest('sha256 must be 64 lowercase hex characters', { field: 'sha256' });
  if (input.mapping.assetId) {
    if (!input.explicitAsset) throw errors.notFound('asset');
    const existing = versionWithSha(input.explicitAsset.versionShas, input.sha256);
    return existing
      ? { kind: 'existing-version', assetId: input.explicitAsset.id, versionId: existing }
      : { kind: 'new-version', assetId: input.explicitAsset.id };
  }
  if (input.sameNameAsset) {
    const existing = versionWithSha(input.sameNameAsset.versionShas, input.sha256);
    return existing
      ? { kind: 'existing-version', assetId: input.sameNameAsset.id, versionId: existing }
      : { kind: 'new-version', assetId: input.sameNameAsset.id };
  }
  return { kind: 'new-asset', name: normalizeAssetName(input.mapping.assetName ?? input.fileName) };
}

function versionWithSha(versionShas: Record<string, string>, sha: string): string | null {
  for (const [versionId, versionSha] of Object.entries(versionShas)) if (versionSha === sha) return versionId;
  return null;
}

export function retainUntil(now: Date, days: number): Date {
  return new Date(now.getTime() + days * 86_400_000);
}

/** S3 multipart limits: parts 5 MiB–5 GiB, at most 10,000 parts. Picks the smallest power-of-two MiB size that fits. */
export const multipartLimits = {
  minPartSize: 5 * 1024 ** 2,
  maxPartSize: 5 * 1024 ** 3,
  maxParts: 10_000,
  maxObjectSize: 5 * 1024 ** 4,
};

export function choosePartSize(size: number, preferred = 16 * 1024 ** 2): number {
  if (!Number.isSafeInteger(size) || size < 0)
    throw errors.badRequest('size must be a non-negative integer', { field: 'size' });
  if (size > multipartLimits.maxObjectSize) throw errors.payloadTooLarge(`size ${size} exceeds the 5 TiB object limit`);
  let partSize = Math.max(preferred, multipartLimits.minPartSize);
  while (Math.ceil(size / partSize) > multipartLimits.maxParts) partSize *= 2;
  return Math.min(partSize, multipartLimits.maxPartSize);
}

export function partCount(size: number, partSize: number): number {
  return Math.max(1, Math.ceil(size / partSize));
}
