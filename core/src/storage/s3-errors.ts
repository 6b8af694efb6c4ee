/**
 * S3's errors as the rest of mediavault knows them: the ones that mean something to a caller
 * (missing object or upload, wrong part, bad checksum, changed copy source, range) become
 * AppErrors with their codes; any other is passed on as it came.
 */
import { S3ServiceException } from '@aws-sdk/client-s3';
import { AppError, errors } from '../errors.ts';

const s3ErrorMeanings: Record<string, (e: S3ServiceException) => AppError> = {
  NoSuchKey: () => errors.notFound('object'),
  NotFound: () => errors.notFound('object'),
  NoSuchUpload: () => errors.notFound('upload'),
  NoSuchBucket: (e) => new AppError('internal', `storage bucket is missing: ${e.message}`),
  InvalidPart: (e) => errors.badRequest(`a listed part does not match what was uploaded: ${e.message}`),
  InvalidPartOrder: (e) => errors.badRequest(`parts are not in ascending order: ${e.message}`),
  EntityTooSmall: (e) => errors.badRequest(`every part but the last must be at least 5 MiB: ${e.message}`),
  InvalidRange: () => new AppError('range_not_satisfiable', 'the requested range is outside the object'),
  BadDigest: () => errors.checksumMismatch('the body does not match its checksum; nothing was stored'),
  InvalidDigest: () => errors.checksumMismatch('the body does not match its checksum; nothing was stored'),
  XAmzContentChecksumMismatch: () =>
    errors.checksumMismatch('the body does not match its checksum; nothing was stored'),
  PreconditionFailed: () => new AppError('precondition_failed', 'the source object changed since it was verified'),
};

export function mapS3Error(err: unknown): unknown {
  if (!(err instanceof S3ServiceException)) return err;
  const meaning = s3ErrorMeanings[err.name];
  if (meaning) return meaning(err);
  if (err.$metadata?.httpStatusCode === 416) return s3ErrorMeanings.InvalidRange!(err);
  return err;
}
