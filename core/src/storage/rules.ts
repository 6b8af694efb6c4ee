/**
 * Limits and rules both drivers apply the same way, so a client written against
 * one driver behaves the same against the other. The numbers are S3's.
 */
import { errors } from '../errors.ts';

export const maxPartNumber = 10_000;
export const maxPresignSeconds = 7 * 24 * 3600;

export function assertPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > maxPartNumber) {
    throw errors.badRequest(`partNumber must be an integer from 1 to ${maxPartNumber}`, { partNumber });
  }
}

export function assertPresignExpiry(expiresInSeconds: number): void {
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > maxPresignSeconds) {
    throw errors.badRequest(`expiresInSeconds must be an integer from 1 to ${maxPresignSeconds}`, { expiresInSeconds });
  }
}

/** Same rule for both drivers: parts listed ascending and contiguous from 1. */
export function assertCompletionOrder(parts: { partNumber: number; etag: string }[]): void {
  if (parts.length === 0) throw errors.badRequest('completing an upload needs at least one part');
  parts.forEach((part, i) => {
    if (part.partNumber !== i + 1) {
      throw errors.badRequest(
        `parts must be listed in ascending order, contiguous from 1: position ${i + 1} has part ${part.partNumber}`,
        { partNumbers: parts.map((p) => p.partNumber) },
      );
    }
  });
}
