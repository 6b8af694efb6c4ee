import { Type } from '@sinclair/typebox';
import { uploadStatuses } from '@mediavault/core/transitions';
import { Nullable, Text, Uuid } from './common.ts';

/** Request and response parts shared by the upload routes (one file at a time and in batches). */

export const Base64Sha256 = Type.String({
  pattern: '^[A-Za-z0-9+/]{43}=$',
  maxLength: 44,
  description: 'base64 sha256',
});

export const Mapping = Type.Object(
  {
    projectId: Type.Optional(Uuid),
    collectionPath: Type.Optional(
      Type.String({ maxLength: 4096, description: 'slash-separated; folders become collections' }),
    ),
    assetName: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    assetId: Type.Optional(
      Type.String({ format: 'uuid', maxLength: 36, description: 'promote as a new version of this asset' }),
    ),
  },
  { additionalProperties: false },
);

export const UploadStatus = Type.Union(uploadStatuses.map((s) => Type.Literal(s)));

export const CompletedItem = Type.Object({
  uploadId: Uuid,
  status: UploadStatus,
  assetId: Nullable(Uuid),
  versionId: Nullable(Uuid),
  error: Nullable(Type.Object({ code: Text(64), message: Text(4096) })),
});
