import {
  type ArrayOptions,
  type IntegerOptions,
  type SchemaOptions,
  type StringOptions,
  Type,
  type TSchema,
} from '@sinclair/typebox';
import { previewProfiles } from '@mediavault/core/jobs';
import { uploadStatuses } from '@mediavault/core/transitions';
import { annotationLimits, maxCommentText } from '@mediavault/core/review';
import { streamEventSchemas } from '@mediavault/core/catalogue/event-feed';
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
export const Nullable = <T extends TSchema>(schema: T, options: SchemaOptions = {}) =>
  Type.Union([schema, Type.Null()], options);

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

export const Approval = Type.Object(
  {
    versionId: Uuid,
    status: Type.Union([Type.Literal('approved'), Type.Literal('changes_requested'), Type.Literal('none')]),
    decidedBy: Nullable(Type.Object({ userId: Uuid, name: Label })),
    decidedAt: Nullable(DateTime),
  },
  {
    $id: 'Approval',
    description: 'The review decision on a version; none: no decision (decidedBy and decidedAt null)',
  },
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
    approval: Nullable(Type.Ref(Approval, { description: 'the review decision; null: none taken' })),
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

/** A point of a drawing, normalised to the picture: [x, y], 0–1 from the top left corner. */
const Point = Type.Unsafe<[number, number]>(
  List(Type.Number({ minimum: 0, maximum: 1 }), 2, { minItems: 2, description: '[x, y], each 0–1' }),
);
const Shape = Type.Union([
  Type.Object(
    { kind: Type.Literal('freehand'), points: List(Point, annotationLimits.points, { minItems: 1 }) },
    { additionalProperties: false },
  ),
  Type.Object({ kind: Type.Literal('arrow'), from: Point, to: Point }, { additionalProperties: false }),
  Type.Object({ kind: Type.Literal('rect'), from: Point, to: Point }, { additionalProperties: false }),
]);
export const Annotation = Type.Object(
  {
    shapes: List(Shape, annotationLimits.shapes, { minItems: 1 }),
    color: Type.Optional(Text(7, { pattern: '^#[0-9a-fA-F]{6}$', description: '#rrggbb' })),
  },
  {
    $id: 'Annotation',
    additionalProperties: false,
    description: `A drawing on the commented frame, in coordinates normalised to the picture: at most ${annotationLimits.shapes} shapes and ${annotationLimits.points} points in all (an arrow or a rectangle counts 2)`,
  },
);

const frameDescription =
  "counted from the version's first frame (0) at its rational frame rate; a version without a video frame rate (audio only) counts at a nominal 25/1 from 00:00:00:00";
/** A frame of a version: 24 hours at 1000 fps fits in 32 bits. */
export const Frame = Int(0, 2 ** 31 - 1, { description: `frame ${frameDescription}` });

export const Comment = Type.Object(
  {
    id: Uuid,
    assetId: Uuid,
    versionId: Uuid,
    versionNumber: Int(1, 2 ** 31 - 1),
    parentId: Nullable(Uuid, { description: 'the thread a reply belongs to; null for a thread’s first comment' }),
    frame: Frame,
    endFrame: Nullable(Int(0, 2 ** 31 - 1, { description: 'last frame of a range (inclusive); null: one frame' })),
    timecode: Text(16, {
      description:
        "SMPTE label of the frame from the version's start timecode; ';' before the frames is drop-frame (29.97 and 59.94 sources)",
    }),
    endTimecode: Nullable(Text(16)),
    text: Text(maxCommentText, { description: 'empty when deleted' }),
    internal: Type.Boolean({ description: 'team only: never shown to guests of a share link' }),
    annotation: Nullable(Type.Ref(Annotation)),
    author: Type.Object({
      userId: Nullable(Uuid),
      name: Label,
      kind: Type.Union([Type.Literal('member'), Type.Literal('guest')]),
    }),
    resolved: Type.Boolean({ description: "the thread's state: a reply reports its first comment's" }),
    resolvedAt: Nullable(DateTime),
    resolvedBy: Nullable(Type.Object({ userId: Uuid, name: Label })),
    createdAt: DateTime,
    editedAt: Nullable(DateTime),
    deleted: Type.Boolean({ description: 'a tombstone: text and drawing emptied, kept for the thread and the audit' }),
  },
  { $id: 'Comment', description: `A review note pinned to a frame of one version; the ${frameDescription}` },
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
  Approval,
  Version,
  Asset,
  AssetSummary,
  Upload,
  PartUrl,
  Annotation,
  Comment,
  // Not taken or answered by an operation: what GET /api/events streams, listed for clients and the SDK.
  ...streamEventSchemas,
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
