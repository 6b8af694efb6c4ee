/**
 * How the edge learns at once that a share was revoked (or its policy narrowed) without
 * calling the api: the api writes a marker object to the previews store (core/src/share-policy.ts,
 * shareMarkerKey), and the edge reads it before serving a share token's request, remembering
 * the answer for one second per share. So a revoked share's next request is refused on every
 * edge within about a second of the revoke, whatever its tokens' expiry (five minutes).
 *
 * Reads are single-flight per share. When the store does not answer, the last answer stands
 * (however old); with none, the request is served: the token itself is at most five minutes
 * old, and a store that is down also stops the edge from fetching what it has not cached.
 */
import { text } from 'node:stream/consumers';
import { setTimeout as timeout } from 'node:timers/promises';
import { parseShareMarker, shareMarkerKey, type ShareMarker } from '@mediavault/core/share-policy';
import type { Storage } from '@mediavault/core/storage/types';
import { LRUCache } from 'lru-cache';

/** How long an edge trusts what it read of a share's marker. */
export const shareMarkerRecheckMs = 1000;
/** Shares whose state an edge remembers (the least recently asked are forgotten first). */
const rememberedShares = 10_000;
/** Larger markers are not ours: read as revoked. */
const maxMarkerBytes = 4096;

interface Known {
  marker: ShareMarker | null;
  checkedAtMs: number;
}

export interface ShareMarkers {
  /** The share's marker as last read (null: none, the share is live), read again after a second. */
  current(shareId: string): Promise<ShareMarker | null>;
  /** Marker reads made (tests count them). */
  readonly reads: number;
}

export function createShareMarkers(options: {
  previews: Storage;
  now: () => number;
  storeAnswerTimeoutMs: number;
  onStoreFailure?: (err: unknown, shareId: string) => void;
}): ShareMarkers {
  const known = new LRUCache<string, Known>({ max: rememberedShares });
  const pending = new Map<string, Promise<ShareMarker | null>>();
  let reads = 0;

  async function read(shareId: string): Promise<ShareMarker | null> {
    reads++;
    const key = shareMarkerKey(shareId);
    const info = await options.previews.head(key);
    if (!info) return null;
    if (info.size > maxMarkerBytes) return parseShareMarker('');
    return parseShareMarker(await text(await options.previews.get(key)));
  }

  async function refresh(shareId: string): Promise<ShareMarker | null> {
    const abandon = new AbortController();
    try {
      const marker = await Promise.race([
        read(shareId),
        timeout(options.storeAnswerTimeoutMs, undefined, { signal: abandon.signal }).then(() => {
          throw new Error('the previews store did not answer in time');
        }),
      ]);
      known.set(shareId, { marker, checkedAtMs: options.now() });
      return marker;
    } catch (err) {
      options.onStoreFailure?.(err, shareId);
      return known.get(shareId)?.marker ?? null;
    } finally {
      abandon.abort();
    }
  }

  return {
    get reads() {
      return reads;
    },
    async current(shareId) {
      const last = known.get(shareId);
      if (last && options.now() - last.checkedAtMs < shareMarkerRecheckMs) return last.marker;
      let flight = pending.get(shareId);
      if (!flight) {
        flight = refresh(shareId).finally(() => pending.delete(shareId));
        pending.set(shareId, flight);
      }
      return flight;
    },
  };
}
