import { type ArrayOptions, type IntegerOptions, type StringOptions, Type, type TSchema } from '@sinclair/typebox';
import { previewProfiles } from '@mediavault/core/jobs';
import { uploadStatuses } from '@mediavault/core/transitions';
import { errorCodeList, errorCodes, type ErrorCode as ErrorCodeValue } from '@mediavault/core/errors';

/**
 * Shared schemas with an $id: registered once on the app, referenced by routes,
 * and emitted as named components in openapi/ (so the SDK gets named types).
 */

/**
 * Bounded building blocks: every string, integer and array the api takes or gives has a limit
 * in the schema (validated on the way in, documented on the way out), and integers say their
 * width (int32 or int64), so clients and gateways can size what they accept.
 */
export const Text = (maxLength: number, options: StringOptions = {}) => Type.String({ maxLength, ...options });
export const Int = (minimum: number, maximum: number, options: IntegerOptions = {}) =>
  Type.Integer({
    minimum,
    maximum,
    format: minimum < -(2 ** 31) || maximum > 2 ** 31 - 1 ? 'int64' : 'int32',
    ...options,
  });
export const List = <T extends TSchema>(items: T, maxItems: number, options: ArrayOptions = {}) =>
  Type.Array(items, { maxItems, ...options });

/** A count, an index or a number of parts: a 32-bit integer. */
export const Count = Int(0, 2 ** 31 - 1);
/** Bytes: up to 2^53 − 1, the largest integer JSON numbers carry exactly. */
export const ByteSize = Int(0, Number.MAX_SAFE_INTEGER);
export const Url = Text(8192, { format: 'uri' });
/** Names people give things (files, assets, projects): at most 1,024 characters. */
export const Label = Text(1024);

export const Uuid = Type.String({ format: 'uuid', maxLength: 36 });
export const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', maxLength: 64, description: 'lowercase hex sha256' });
/** A point in time: services hand the catalogue's Dates through, the response has them as ISO 8601 text. */
export const DateTime = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time', maxLength: 40 });
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
      message: Text(4096, { description: 'for people; never parsed' }),
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

export const Organization = Type.Object({ id: Uuid, name: Label, createdAt: DateTime }, { $id: 'Organization' });
export const User = Type.Object(
  { id: Uuid, email: Text(320), name: Label, isOrgAdmin: Type.Boolean(), createdAt: DateTime },
  { $id: 'User' },
);
export const ApiToken = Type.Object(
  {
    id: Uuid,
    userId: Uuid,
    name: Label,
    prefix: Text(32, { description: 'the first characters of the token, to tell tokens apart' }),
    createdAt: DateTime,
    lastUsedAt: Nullable(DateTime),
    expiresAt: Nullable(DateTime),
    revokedAt: Nullable(DateTime),
  },
  { $id: 'ApiToken' },
);
export const Client = Type.Object({ id: Uuid, name: Label, createdAt: DateTime }, { $id: 'Client' });
export const Project = Type.Object(
  { id: Uuid, clientId: Uuid, name: Label, role: Type.Ref(ProjectRoleSchema), createdAt: DateTime },
  { $id: 'Project' },
);
export const Member = Type.Object(
  { userId: Uuid, email: Text(320), name: Label, role: Type.Ref(ProjectRoleSchema) },
  { $id: 'Member' },
);

export const PreviewState = Type.Object(
  {
    sha256: Sha256,
    profile: Type.Union(previewProfiles.map((p) => Type.Literal(p))),
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
    number: Int(1, 2 ** 31 - 1),
    sha256: Sha256,
    size: ByteSize,
    originalName: Label,
    contentType: Nullable(Text(255)),
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
    sidecars: List(
      Type.Object({
        id: Uuid,
        kind: Text(32),
        name: Label,
        sha256: Nullable(Sha256),
        meta: Type.Record(Type.String(), Type.Unknown()),
      }),
      10_000,
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
    collectionPath: Nullable(Text(4096)),
    name: Label,
    createdAt: DateTime,
    updatedAt: DateTime,
    versions: List(Type.Ref(Version), 100_000),
  },
  { $id: 'Asset' },
);

export const AssetSummary = Type.Object(
  {
    id: Uuid,
    projectId: Uuid,
    collectionPath: Nullable(Text(4096)),
    name: Label,
    latestVersion: Nullable(Type.Object({ id: Uuid, number: Int(1, 2 ** 31 - 1), sha256: Sha256, size: ByteSize })),
    createdAt: DateTime,
  },
  { $id: 'AssetSummary' },
);

export const Upload = Type.Object(
  {
    id: Uuid,
    projectId: Uuid,
    name: Label,
    size: ByteSize,
    stagingKey: Text(2048),
    partSize: ByteSize,
    partCount: Int(1, 10_000),
    transfer: Type.Union([Type.Literal('multipart'), Type.Literal('put')], {
      description: 'put: one PUT of the whole object (presignUploadBatch)',
    }),
    status: Type.Union(uploadStatuses.map((s) => Type.Literal(s))),
    uploadedParts: Type.Optional(
      List(
        Type.Object({
          partNumber: Int(1, 10_000),
          etag: Text(256),
          size: ByteSize,
          checksumSha256: Type.Optional(
            Text(44, { description: 'base64 sha256 of the stored part, when the store knows it' }),
          ),
        }),
        10_000,
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

export const PartUrl = Type.Object({ partNumber: Int(1, 10_000), url: Url }, { $id: 'PartUrl' });

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
