import { resolve } from 'node:path';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { storageRoles, type StorageRole } from './storage/types.ts';

/**
 * Configuration comes from the environment only, and is validated once at start.
 * A bad or missing value stops the process with a message naming the variable.
 */

const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Url = Type.String({ pattern: '^https?://[^\\s]+$' });
const Bool = Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')]);

/** name → schema (as string from env) + default + description; the README's table is built from this. */
export const configVariables = {
  DATABASE_URL: {
    schema: Type.String({ pattern: '^postgres(ql)?://' }),
    default: undefined,
    description:
      'PostgreSQL connection URL. Unset under `mediavault dev`: an embedded PostgreSQL runs under the data dir.',
  },
  MEDIAVAULT_DATA_DIR: {
    schema: Type.String({ minLength: 1 }),
    default: './.mediavault',
    description: 'Where the embedded stack keeps its database, storage and edge cache.',
  },
  API_HOST: {
    schema: Type.String({ minLength: 1 }),
    default: '127.0.0.1',
    description: 'Interface the api listens on.',
  },
  API_PORT: { schema: Port, default: '8080', description: 'Port of the api (0 picks a free port).' },
  PUBLIC_API_URL: {
    schema: Url,
    default: undefined,
    description:
      'Base URL clients reach the api at (presigned fs URLs and player links). Default http://API_HOST:API_PORT.',
  },
  EDGE_HOST: {
    schema: Type.String({ minLength: 1 }),
    default: '127.0.0.1',
    description: 'Interface the edge listens on.',
  },
  EDGE_PORT: { schema: Port, default: '8081', description: 'Port of the edge (0 picks a free port).' },
  PUBLIC_EDGE_URL: {
    schema: Url,
    default: undefined,
    description: 'Base URL players reach the edge at. Default http://EDGE_HOST:EDGE_PORT.',
  },
  EDGE_CACHE_DIR: {
    schema: Type.String({ minLength: 1 }),
    default: undefined,
    description: 'Local cache directory of the edge. Default DATA_DIR/edge-cache.',
  },
  EDGE_SIGNING_KEY: {
    schema: Type.String({ minLength: 32 }),
    default: undefined,
    description:
      'Secret (≥32 chars) that signs playback URLs; api and edge share it. Generated under `mediavault dev`.',
  },
  EDGE_SIGNING_KID: {
    schema: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }),
    default: 'k1',
    description: 'Key id of EDGE_SIGNING_KEY, carried in tokens for rotation.',
  },
  EDGE_SIGNING_KEY_PREVIOUS: {
    schema: Type.String({ minLength: 32 }),
    default: undefined,
    description:
      'Edge only, while rotating: the key being retired, still accepted (not used to sign) until the URLs it signed expire. Needs EDGE_SIGNING_KID_PREVIOUS.',
  },
  EDGE_SIGNING_KID_PREVIOUS: {
    schema: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }),
    default: undefined,
    description: 'Key id of EDGE_SIGNING_KEY_PREVIOUS; must differ from EDGE_SIGNING_KID.',
  },
  EDGE_PLAYLIST_REVALIDATE_SECONDS: {
    schema: Type.Integer({ minimum: 1, maximum: 3600 }),
    default: '10',
    description:
      'An edge serves a cached playlist (`*.m3u8`) for at most this long, then checks it against the previews store (ETag), so a rebuilt or filled preview reaches every edge within it; players get it as max-age. Segments are immutable and never rechecked.',
  },
  PREVIEW_TTL: {
    schema: Type.Integer({ minimum: 30, maximum: 604800 }),
    default: '3600',
    description: 'Lifetime in seconds of signed playback URLs.',
  },
  UPLOAD_URL_TTL: {
    schema: Type.Integer({ minimum: 60, maximum: 604800 }),
    default: '3600',
    description: 'Lifetime in seconds of presigned upload part URLs.',
  },
  UPLOAD_EXPIRY_HOURS: {
    schema: Type.Integer({ minimum: 1, maximum: 8760 }),
    default: '168',
    description:
      'How long an unfinished upload can be resumed; after that the maintenance job aborts it and frees its parts.',
  },
  MULTIPART_COPY_THRESHOLD_BYTES: {
    schema: Type.Integer({ minimum: 5 * 1024 * 1024, maximum: 5 * 1024 ** 3 }),
    default: String(5 * 1024 ** 3),
    description:
      'Masters above this size are copied staging → masters with multipart UploadPartCopy (S3 CopyObject stops at 5 GiB).',
  },
  MAX_UPLOAD_BYTES: {
    schema: Type.Integer({ minimum: 1 }),
    default: String(5 * 1024 ** 4),
    description: 'Largest object accepted by presign (default 5 TiB, the S3 limit).',
  },
  OBJECT_LOCK_DEFAULT_DAYS: {
    schema: Type.Integer({ minimum: 1, maximum: 36500 }),
    default: '365',
    description: 'Retention of masters: Object Lock GOVERNANCE retain-until = promotion + this many days.',
  },
  STORAGE_DRIVER: {
    schema: Type.Union([Type.Literal('fs'), Type.Literal('s3')]),
    default: 'fs',
    description: '`fs` (a directory or NAS mount) or `s3` (S3-compatible: Wasabi, AWS, MinIO).',
  },
  STORAGE_FS_ROOT: {
    schema: Type.String({ minLength: 1 }),
    default: undefined,
    description: 'Root of the fs driver; each role under ROOT/<role>. Default DATA_DIR/storage.',
  },
  STORAGE_FS_MODE: {
    // Owner must read and write; "other" bits are allowed but then every account on the machine reads masters.
    schema: Type.String({ pattern: '^0?[67][0-7][0-7]$' }),
    default: '0640',
    description:
      'Permission bits of objects the fs driver writes (octal); folders get the matching execute bits, masters lose write. The default keeps masters and previews to the owner and group.',
  },
  STORAGE_SIGNING_KEY: {
    schema: Type.String({ minLength: 32 }),
    default: undefined,
    description:
      'Secret (≥32 chars) signing fs presigned URLs. Required with STORAGE_DRIVER=fs; generated under `mediavault dev`.',
  },
  S3_ENDPOINT: { schema: Url, default: undefined, description: 'S3 endpoint (omit for AWS).' },
  S3_REGION: { schema: Type.String({ minLength: 1 }), default: 'us-east-1', description: 'S3 region.' },
  S3_FORCE_PATH_STYLE: { schema: Bool, default: 'false', description: 'Path-style bucket addressing (MinIO, s3rver).' },
  ...Object.fromEntries(
    storageRoles.flatMap((role) => {
      const upper = role.toUpperCase();
      return [
        [
          `S3_BUCKET_${upper}`,
          {
            schema: Type.String({ minLength: 3 }),
            default: undefined,
            description: `Bucket of the ${role} role (required with STORAGE_DRIVER=s3).`,
          },
        ],
        [
          `S3_ACCESS_KEY_ID_${upper}`,
          {
            schema: Type.String({ minLength: 1 }),
            default: undefined,
            description: `Access key of the ${role} role; falls back to S3_ACCESS_KEY_ID.`,
          },
        ],
        [
          `S3_SECRET_ACCESS_KEY_${upper}`,
          {
            schema: Type.String({ minLength: 1 }),
            default: undefined,
            description: `Secret key of the ${role} role; falls back to S3_SECRET_ACCESS_KEY.`,
          },
        ],
      ];
    }),
  ),
  S3_ACCESS_KEY_ID: {
    schema: Type.String({ minLength: 1 }),
    default: undefined,
    description: 'Default S3 access key for roles without their own.',
  },
  S3_SECRET_ACCESS_KEY: {
    schema: Type.String({ minLength: 1 }),
    default: undefined,
    description: 'Default S3 secret key for roles without their own.',
  },
  PREVIEW_BACKLOG_SECONDS: {
    schema: Type.Integer({ minimum: 1, maximum: 86400 }),
    default: '120',
    description:
      'When the preview work waiting (queued builds × typical build time ÷ builds running) exceeds this many seconds, the api answers with a longer Retry-After and new builds drop non-critical outputs (sprites, waveform; past 3× also the MP4 and rungs above 720p), filled in later.',
  },
  WORKER_CONCURRENCY: {
    schema: Type.Integer({ minimum: 1, maximum: 64 }),
    default: '1',
    description: 'Preview jobs one worker runs at once.',
  },
  WATERMARK_FONT_FILE: {
    schema: Type.String({ minLength: 1 }),
    default: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
    description:
      "TrueType or OpenType font the worker burns share watermarks in (Debian's `fonts-dejavu-core` by default). Checked when a watermark job runs; use a font with the scripts your viewers' names are written in.",
  },
  CORS_ORIGINS: {
    schema: Type.String({ pattern: '^(https?://[^\\s,]+)(,https?://[^\\s,]+)*$' }),
    default: undefined,
    description:
      'Web origins (comma-separated, e.g. https://tools.example.com) whose pages may call the api from a browser. Unset: none; the bundled player is served by the api itself.',
  },
  RATE_LIMIT_READS_PER_MINUTE: {
    schema: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    default: '1200',
    description:
      'Reads (GET) one token may make per minute, or one address without a token; over it the api answers 429 with Retry-After. Counted in PostgreSQL, across every api process.',
  },
  RATE_LIMIT_WRITES_PER_MINUTE: {
    schema: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    default: '300',
    description: 'Mutations (POST, PUT, DELETE) one token (or address) may make per minute.',
  },
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: {
    schema: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
    default: '20',
    description: 'Requests with an unknown, revoked or expired token one address may make per minute.',
  },
  LOG_LEVEL: {
    schema: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
    default: 'info',
    description: 'pino log level.',
  },
} as const satisfies Record<string, { schema: TSchema; default: string | undefined; description: string }>;

export type ConfigVariable = keyof typeof configVariables;

export class ConfigError extends Error {
  readonly problems: { variable: string; message: string }[];
  constructor(problems: { variable: string; message: string }[]) {
    super(`configuration error:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface S3RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  api: { host: string; port: number; publicUrl: string | undefined };
  edge: {
    host: string;
    port: number;
    publicUrl: string | undefined;
    cacheDir: string;
    signingKey: string;
    signingKid: string;
    /** The key being retired: still accepted by the edge, never used to sign. */
    previousSigningKey: { kid: string; secret: string } | undefined;
    playlistRevalidateSeconds: number;
  };
  previewTtlSeconds: number;
  uploadUrlTtlSeconds: number;
  uploadExpiryHours: number;
  multipartCopyThresholdBytes: number;
  maxUploadBytes: number;
  objectLockDefaultDays: number;
  storage: {
    driver: 'fs' | 's3';
    fs: { root: string; signingKey: string; fileMode: number };
    s3: {
      endpoint: string | undefined;
      region: string;
      forcePathStyle: boolean;
      buckets: Record<StorageRole, string>;
      credentials: Record<StorageRole, S3RoleCredentials>;
    };
  };
  previewBacklogSeconds: number;
  workerConcurrency: number;
  watermarkFontFile: string;
  logLevel: string;
  rateLimits: { readsPerMinute: number; writesPerMinute: number; authFailuresPerMinute: number };
  /** Origins allowed to call the api from a browser (CORS); empty: none. */
  corsOrigins: string[];
}

function readVariable(
  env: NodeJS.ProcessEnv,
  name: string,
  problems: { variable: string; message: string }[],
): unknown {
  const spec = (configVariables as Record<string, { schema: TSchema; default: string | undefined }>)[name]!;
  const raw = env[name] === '' ? undefined : (env[name] ?? spec.default);
  if (raw === undefined) return undefined;
  const value = spec.schema.type === 'integer' ? (/^-?\d+$/.test(raw) ? Number(raw) : raw) : raw;
  if (!Value.Check(spec.schema, value)) {
    const first = Value.Errors(spec.schema, value).First();
    problems.push({
      variable: name,
      message: `invalid value ${JSON.stringify(raw)}: ${first?.message ?? 'does not match'}`,
    });
    return undefined;
  }
  return value;
}

/**
 * The retiring edge key: both variables or neither, and never the current kid or secret
 * again (a token names its key by kid, so two keys under one kid would be ambiguous).
 */
function previousEdgeSigningKey(
  get: <T>(name: string) => T,
  problems: { variable: string; message: string }[],
  current: { kid: string; secret: string },
): Config['edge']['previousSigningKey'] {
  const previousVariables = ['EDGE_SIGNING_KEY_PREVIOUS', 'EDGE_SIGNING_KID_PREVIOUS'];
  const secret = get<string | undefined>('EDGE_SIGNING_KEY_PREVIOUS');
  const kid = get<string | undefined>('EDGE_SIGNING_KID_PREVIOUS');
  if (problems.some((p) => previousVariables.includes(p.variable))) return undefined;
  if (secret === undefined && kid === undefined) return undefined;
  if (kid === undefined) {
    problems.push({ variable: 'EDGE_SIGNING_KID_PREVIOUS', message: 'is required with EDGE_SIGNING_KEY_PREVIOUS' });
    return undefined;
  }
  if (secret === undefined) {
    problems.push({ variable: 'EDGE_SIGNING_KEY_PREVIOUS', message: 'is required with EDGE_SIGNING_KID_PREVIOUS' });
    return undefined;
  }
  if (kid === current.kid) {
    problems.push({
      variable: 'EDGE_SIGNING_KID_PREVIOUS',
      message: `is the same as EDGE_SIGNING_KID (${JSON.stringify(kid)}): give the new key a new kid`,
    });
    return undefined;
  }
  if (secret === current.secret) {
    problems.push({
      variable: 'EDGE_SIGNING_KEY_PREVIOUS',
      message: 'is the same secret as EDGE_SIGNING_KEY: nothing is being rotated',
    });
    return undefined;
  }
  return { kid, secret };
}

/**
 * Validates the environment and returns the typed configuration, or throws a
 * ConfigError listing every bad or missing variable by name.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: { variable: string; message: string }[] = [];
  const get = <T>(name: string) => readVariable(env, name, problems) as T;
  const require = <T>(name: string, why: string): T => {
    const value = get<T>(name);
    if (value === undefined && !problems.some((p) => p.variable === name))
      problems.push({ variable: name, message: `is required ${why}` });
    return value;
  };

  const dataDir = resolve(get<string>('MEDIAVAULT_DATA_DIR'));
  const driver = get<'fs' | 's3'>('STORAGE_DRIVER') ?? 'fs';
  const fallbackKey = get<string>('S3_ACCESS_KEY_ID');
  const fallbackSecret = get<string>('S3_SECRET_ACCESS_KEY');
  const buckets = {} as Record<StorageRole, string>;
  const credentials = {} as Record<StorageRole, S3RoleCredentials>;
  for (const role of storageRoles) {
    const upper = role.toUpperCase();
    const bucket =
      driver === 's3'
        ? require<string>(`S3_BUCKET_${upper}`, 'when STORAGE_DRIVER=s3')
        : get<string>(`S3_BUCKET_${upper}`);
    buckets[role] = bucket ?? '';
    const accessKeyId = get<string>(`S3_ACCESS_KEY_ID_${upper}`) ?? fallbackKey;
    const secretAccessKey = get<string>(`S3_SECRET_ACCESS_KEY_${upper}`) ?? fallbackSecret;
    if (driver === 's3' && (!accessKeyId || !secretAccessKey)) {
      problems.push({
        variable: `S3_ACCESS_KEY_ID_${upper}`,
        message: `no credentials for the ${role} role: set S3_ACCESS_KEY_ID_${upper}/S3_SECRET_ACCESS_KEY_${upper} or S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY`,
      });
    }
    credentials[role] = { accessKeyId: accessKeyId ?? '', secretAccessKey: secretAccessKey ?? '' };
  }

  const edgeSigningKey = require<string>('EDGE_SIGNING_KEY', 'to sign playback URLs (any random string of 32+ characters, shared by api and edge)');
  const edgeSigningKid = get<string>('EDGE_SIGNING_KID');
  const config: Config = {
    databaseUrl: get<string>('DATABASE_URL'),
    dataDir,
    api: {
      host: get<string>('API_HOST'),
      port: get<number>('API_PORT'),
      publicUrl: get<string>('PUBLIC_API_URL')?.replace(/\/+$/, ''),
    },
    edge: {
      host: get<string>('EDGE_HOST'),
      port: get<number>('EDGE_PORT'),
      publicUrl: get<string>('PUBLIC_EDGE_URL')?.replace(/\/+$/, ''),
      cacheDir: resolve(get<string>('EDGE_CACHE_DIR') ?? `${dataDir}/edge-cache`),
      signingKey: edgeSigningKey,
      signingKid: edgeSigningKid,
      previousSigningKey: previousEdgeSigningKey(get, problems, { kid: edgeSigningKid, secret: edgeSigningKey }),
      playlistRevalidateSeconds: get<number>('EDGE_PLAYLIST_REVALIDATE_SECONDS'),
    },
    previewTtlSeconds: get<number>('PREVIEW_TTL'),
    uploadUrlTtlSeconds: get<number>('UPLOAD_URL_TTL'),
    uploadExpiryHours: get<number>('UPLOAD_EXPIRY_HOURS'),
    multipartCopyThresholdBytes: get<number>('MULTIPART_COPY_THRESHOLD_BYTES'),
    maxUploadBytes: get<number>('MAX_UPLOAD_BYTES'),
    objectLockDefaultDays: get<number>('OBJECT_LOCK_DEFAULT_DAYS'),
    storage: {
      driver,
      fs: {
        root: resolve(get<string>('STORAGE_FS_ROOT') ?? `${dataDir}/storage`),
        fileMode: Number.parseInt(get<string>('STORAGE_FS_MODE') ?? '0640', 8),
        signingKey:
          driver === 'fs'
            ? require<string>('STORAGE_SIGNING_KEY', 'with STORAGE_DRIVER=fs to sign presigned URLs (32+ random characters)')
            : (get<string>('STORAGE_SIGNING_KEY') ?? ''),
      },
      s3: {
        endpoint: get<string>('S3_ENDPOINT'),
        region: get<string>('S3_REGION'),
        forcePathStyle: ['true', '1'].includes(get<string>('S3_FORCE_PATH_STYLE') ?? 'false'),
        buckets,
        credentials,
      },
    },
    previewBacklogSeconds: get<number>('PREVIEW_BACKLOG_SECONDS'),
    workerConcurrency: get<number>('WORKER_CONCURRENCY'),
    watermarkFontFile: resolve(get<string>('WATERMARK_FONT_FILE')),
    logLevel: get<string>('LOG_LEVEL'),
    corsOrigins: (get<string>('CORS_ORIGINS') ?? '').split(',').filter(Boolean),
    rateLimits: {
      readsPerMinute: get<number>('RATE_LIMIT_READS_PER_MINUTE'),
      writesPerMinute: get<number>('RATE_LIMIT_WRITES_PER_MINUTE'),
      authFailuresPerMinute: get<number>('RATE_LIMIT_AUTH_FAILURES_PER_MINUTE'),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

export function requireDatabaseUrl(config: Config): string {
  if (!config.databaseUrl)
    throw new ConfigError([
      {
        variable: 'DATABASE_URL',
        message: 'is required (or run `mediavault dev`, which starts an embedded PostgreSQL)',
      },
    ]);
  return config.databaseUrl;
}

export function apiPublicUrl(config: Config, boundPort: number): string {
  return config.api.publicUrl ?? `http://${config.api.host}:${boundPort}`;
}

export function edgePublicUrl(config: Config, boundPort: number): string {
  return config.edge.publicUrl ?? `http://${config.edge.host}:${boundPort}`;
}

/** Entry points call this: prints the problems and exits 1 instead of a stack trace. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mediavault: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

export type { Static };
