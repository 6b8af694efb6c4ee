/**
 * Part URLs are asked for after the part is read, because each is signed for
 * the part's own sha256. While one presignUploadParts call is in flight the
 * next requests queue up and go out together, so a fast reader makes few calls.
 */
import type { MediavaultClient } from './client.ts';
import { MediavaultError } from './errors.ts';

const urlsPerRequest = 1000;

export interface PartUrlSource {
  /** A URL presigned for this part and checksum; requests made close together go out as one call. */
  forPart(partNumber: number, checksumSha256: string): Promise<string>;
}

export function partUrlSource(
  client: MediavaultClient,
  uploadId: string,
  signal: AbortSignal | undefined,
): PartUrlSource {
  const pending: {
    partNumber: number;
    checksumSha256: string;
    resolve(url: string): void;
    reject(err: unknown): void;
  }[] = [];
  let busy = false;
  const pump = async (): Promise<void> => {
    if (busy || pending.length === 0) return;
    busy = true;
    const batch = pending.splice(0, urlsPerRequest);
    try {
      const answer = await client.presignUploadParts(
        {
          params: { uploadId },
          body: { parts: batch.map(({ partNumber, checksumSha256 }) => ({ partNumber, checksumSha256 })) },
        },
        { signal },
      );
      const urls = new Map(answer.parts.map((p) => [p.partNumber, p.url]));
      for (const wanted of batch) {
        const url = urls.get(wanted.partNumber);
        if (url) wanted.resolve(url);
        else
          wanted.reject(
            new MediavaultError(
              'missing_part_url',
              `the api returned no URL for part ${wanted.partNumber} of upload ${uploadId}`,
            ),
          );
      }
    } catch (err) {
      for (const wanted of batch) wanted.reject(err);
    } finally {
      busy = false;
      void pump();
    }
  };
  return {
    forPart: (partNumber, checksumSha256) =>
      new Promise<string>((resolve, reject) => {
        pending.push({ partNumber, checksumSha256, resolve, reject });
        void pump();
      }),
  };
}
