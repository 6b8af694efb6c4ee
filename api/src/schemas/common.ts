import { Type, type TSchema } from '@sinclair/typebox';
import { errorCodeList, errorCodes, type ErrorCode as ErrorCodeValue } from '@mediavault/core/errors';

/**
 * Shared schemas with an $id: registered once on the app, referenced by routes,
 * and emitted as named components in openapi/ (so the SDK gets named types).
 */

export const Uuid = Type.String({ format: 'uuid' });
export const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'lowercase hex sha256' });
/** A point in time: services hand the catalogue's Dates through, the response has them as ISO 8601 text. */
export const DateTime = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ErrorCode = Type.Unsafe<ErrorCodeValue>({
  $id: 'ErrorCode',
  type: 'string',
  enum: errorCodeList,
  description: 'The closed set of error codes; each names one kind of failure a client can act on.',
});

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.Ref(ErrorCode),
      message: Type.String({ description: 'for people; never parsed' }),
      details: Type.Optional(
        Type.Record(Type.String(), Type.Unknown(), {
          description: 'field: the input to fix (bad_request); status: the state met (invalid_state)',
        }),
      ),
    }),
  },
  { $id: 'ErrorResponse', description: 'Every error the api returns has this shape.' },
);

export const ProjectRoleSchema = Type.Union(
  [Type.Literal('admin'), Type.Literal('editor'), Type.Literal('reviewer'), Type.Literal('viewer')],
  { $id: 'ProjectRole' },
);

export const Organization = Type.Object(
  { id: Uuid, name: Type.String(), createdAt: DateTime },
  { $id: 'Organization' },
);
export const User = Type.Object(
  { id: Uuid, email: Type.String(), name: Type.String(), isOrgAdmin: Type.Boolean(), createdAt: DateTime },
  { $id: 'User' },
);
export const ApiToken = Type.Object(
  {
    id: Uuid,
    userId: Uuid,
    name: Type.String(),
    prefix: Type.String({ description: 'the first characters of the token, to tell tokens apart' }),
    createdAt: DateTime,
    lastUsedAt: Nullable(DateTime),
    expiresAt: Nullable(DateTime),
    revokedAt: Nullable(DateTime),
  },
  { $id: 'ApiToken' },
);
export const Client = Type.Object({ id: Uuid, name: Type.String(), createdAt: DateTime }, { $id: 'Client' });
export const Project = Type.Object(
  { id: Uuid, clientId: Uuid, name: Type.String(), role: Type.Ref(ProjectRoleSchema), createdAt: DateTime },
  { $id: 'Project' },
);
export const Member = Type.Object(
  { userId: Uuid, email: Type.String(), name: Type.String(), role: Type.Ref(ProjectRoleSchema) },
  { $id: 'Member' },
);

export const PreviewState = Type.Object(
  {
    sha256: Sha256,
    profile: Type.String(),
    status: Type.Union([
      Type.Literal('queued'),
      Type.Literal('building'),
      Type.Literal('ready'),
      Type.Literal('failed'),
    ]),
    encoder: Nullable(Type.Record(Type.String(), Type.Unknown())),
    outputs: Nullable(Type.Record(Type.String(), Type.Unknown())),
    error: Nullable(Type.Record(Type.String(), Type.Unknown())),
    updatedAt: DateTime,
  },
  { $id: 'Preview' },
);

export const Version = Type.Object(
  {
    id: Uuid,
    number: Type.Integer(),
    sha256: Sha256,
    size: Type.Integer(),
    originalName: Type.String(),
    contentType: Nullable(Type.String()),
    meta: Type.Record(Type.String(), Type.Unknown(), {
      description: 'everything the probe recorded (ffprobe summary, technical, loudness, imf, as11)',
    }),
    technical: Nullable(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          'EBUCore-shaped technical metadata from MediaInfo and ffprobe: format (container, duration, start timecode), video (codec, profile, bit depth, chroma, scan type, frame rate as a rational), audio tracks and layout',
      }),
    ),
    loudness: Nullable(
      Type.Object({
        integrated: Type.Number({ description: 'integrated loudness, LUFS (EBU R128)' }),
        lra: Type.Number({ description: 'loudness range, LU' }),
        truePeak: Type.Number({ description: 'maximum true peak, dBTP' }),
      }),
    ),
    sidecars: Type.Array(
      Type.Object({
        id: Uuid,
        kind: Type.String(),
        name: Type.String(),
        sha256: Nullable(Type.String()),
        meta: Type.Record(Type.String(), Type.Unknown()),
      }),
    ),
    createdAt: DateTime,
    preview: Nullable(Type.Ref(PreviewState)),
  },
  { $id: 'Version' },
);

export const Asset = Type.Object(
  {
    id: Uuid,
    projectId: Uuid,
    collectionId: Nullable(Uuid),
    collectionPath: Nullable(Type.String()),
    name: Type.String(),
    createdAt: DateTime,
    updatedAt: DateTime,
    versions: Type.Array(Type.Ref(Version)),
  },
  { $id: 'Asset' },
);

export const AssetSummary = Type.Object(
  {
    id: Uuid,
    projectId: Uuid,
    collectionPath: Nullable(Type.String()),
    name: Type.String(),
    latestVersion: Nullable(Type.Object({ id: Uuid, number: Type.Integer(), sha256: Sha256, size: Type.Integer() })),
    createdAt: DateTime,
  },
  { $id: 'AssetSummary' },
);

export const Upload = Type.Object(
  {
    id: Uuid,
    projectId: Uuid,
    name: Type.String(),
    size: Type.Integer(),
    stagingKey: Type.String(),
    partSize: Type.Integer(),
    partCount: Type.Integer(),
    transfer: Type.Union([Type.Literal('multipart'), Type.Literal('put')], {
      description: 'put: one PUT of the whole object (presignUploadBatch)',
    }),
    status: Type.Union(
      ['uploading', 'uploaded', 'promoting', 'promoted', 'failed', 'aborted'].map((s) => Type.Literal(s)),
    ),
    uploadedParts: Type.Optional(
      Type.Array(
        Type.Object({
          partNumber: Type.Integer(),
          etag: Type.String(),
          size: Type.Integer(),
          checksumSha256: Type.Optional(
            Type.String({ description: 'base64 sha256 of the stored part, when the store knows it' }),
          ),
        }),
      ),
    ),
    assetId: Nullable(Uuid),
    versionId: Nullable(Uuid),
    error: Nullable(Type.Record(Type.String(), Type.Unknown())),
    expiresAt: DateTime,
    createdAt: DateTime,
    updatedAt: DateTime,
  },
  { $id: 'Upload' },
);

export const PartUrl = Type.Object({ partNumber: Type.Integer(), url: Type.String() }, { $id: 'PartUrl' });

export const sharedSchemas = [
  ErrorCode,
  ErrorResponse,
  ProjectRoleSchema,
  Organization,
  User,
  ApiToken,
  Client,
  Project,
  Member,
  PreviewState,
  Version,
  Asset,
  AssetSummary,
  Upload,
  PartUrl,
];

const statusDescriptions: Record<number, string> = {
  400: 'invalid input; details.field names what to fix',
  401: 'no valid bearer token',
  403: 'the role does not allow this',
  404: 'unknown, or not visible to the caller',
  409: 'the resource is not in a state this request can start from; details.status is its state',
  410: 'the upload expired or was aborted: start a new one',
  413: 'too large',
  422: 'bytes differ from their declared sha256, or input the platform cannot act on',
  503: 'a dependency is unreachable; retry later',
};

/**
 * The error responses a route documents: every status it can answer besides success, each
 * with the shared ErrorResponse shape and the codes it may carry.
 */
export function errorResponses(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => {
      const codes = (Object.keys(errorCodes) as ErrorCodeValue[]).filter((code) => errorCodes[code] === status);
      const description = `${statusDescriptions[status] ?? 'error'} (${codes.join(', ')})`;
      return [status, Type.Ref(ErrorResponse, { description })];
    }),
  );
}
