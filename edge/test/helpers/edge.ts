/**
 * An edge on port 0 in a fresh temp directory, over a real previews store: the fs driver
 * by default (a folder the test writes previews into, as the worker would), or whatever
 * store the test hands it (the s3 driver against s3rver for outages). Every store call
 * the edge makes is recorded, and can be held back to line requests up for single-flight.
 */
import type { TestContext } from 'node:test';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { signEdgeToken, type SigningKey } from '@mediavault/core/signer';
import { createStorage, storageRoles, type StorageSettings } from '@mediavault/core/storage/index';
import type { Storage } from '@mediavault/core/storage/types';
import { buildEdge, type EdgeOptions } from '../../src/app.ts';

export const sha = 'a1'.repeat(32);
export const otherSha = 'b2'.repeat(32);
export const key: SigningKey = { kid: 'k1', secret: 'edge-test-secret-0123456789abcdef' };
export const nowMs = Date.UTC(2030, 0, 1);
export const nowSeconds = nowMs / 1000;

const unusedS3: StorageSettings['s3'] = {
  region: 'us-east-1',
  forcePathStyle: true,
  buckets: Object.fromEntries(storageRoles.map((role) => [role, ''])) as StorageSettings['s3']['buckets'],
  credentials: Object.fromEntries(
    storageRoles.map((role) => [role, { accessKeyId: '', secretAccessKey: '' }]),
  ) as StorageSettings['s3']['credentials'],
};

/** One pino line as the edge wrote it. */
export interface LogLine {
  level: number;
  msg: string;
  req?: { url: string };
  previewPath?: string;
  err?: { message: string; code?: string };
}
export const pinoWarn = 40;

export interface StoreCalls {
  /** `get <key>` and `head <key>`, in the order the edge made them. */
  all: string[];
  gets(): string[];
  heads(): string[];
}

export interface Edge {
  app: FastifyInstance;
  baseUrl: string;
  storageRoot: string;
  cacheDir: string;
  calls: StoreCalls;
  /** What the edge logged at warn level and above. */
  logs: LogLine[];
  /** The edge's clock (ms since the epoch); tests move it instead of waiting. */
  clock: { now: number };
  /** Store calls made from now on wait until the returned function is called. */
  holdStore(): () => void;
  /** Writes a preview file straight into the fs driver's previews root, as the worker would. */
  putPreview(path: string, body: string | Buffer): Promise<void>;
  removePreview(path: string): Promise<void>;
  token(claims?: { sha?: string; exp?: number }, signWith?: SigningKey): string;
  url(path: string, token?: string): string;
}

/** Wraps a real driver to record (and optionally hold back) the edge's reads. */
function observedStorage(inner: Storage, calls: StoreCalls, held: { gate: Promise<void> | null }): Storage {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'get' || prop === 'head') {
        return async (storeKey: string, ...rest: unknown[]) => {
          calls.all.push(`${prop} ${storeKey}`);
          await held.gate;
          return (target[prop] as (k: string, ...r: unknown[]) => Promise<unknown>).call(target, storeKey, ...rest);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export async function startEdge(
  t: TestContext,
  options: {
    previews?: Storage;
    /** Another edge's directories: a restarted edge on the same cache and fs store. */
    cacheDir?: string;
    previewsRoot?: string;
    /** warn by default: the lines a test asserts on; info adds pino's request lines. */
    logLevel?: 'warn' | 'info';
  } & Partial<Pick<EdgeOptions, 'keys' | 'storeAnswerTimeoutMs'>> = {},
): Promise<Edge> {
  const dir = await mkdtemp(join(tmpdir(), 'mediavault-edge-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const storageRoot = options.previewsRoot ?? join(dir, 'storage');
  const cacheDir = options.cacheDir ?? join(dir, 'cache');
  const calls: StoreCalls = {
    all: [],
    gets: () => calls.all.filter((c) => c.startsWith('get ')).map((c) => c.slice(4)),
    heads: () => calls.all.filter((c) => c.startsWith('head ')).map((c) => c.slice(5)),
  };
  const held: { gate: Promise<void> | null } = { gate: null };
  const inner =
    options.previews ??
    createStorage('previews', {
      driver: 'fs',
      fs: { root: storageRoot, publicUrl: 'http://127.0.0.1:1', signingKey: 'storage-test-secret-0123456789abcdef' },
      s3: unusedS3,
    });
  const logs: LogLine[] = [];
  const clock = { now: nowMs };
  const app = await buildEdge({
    cacheDir,
    previews: observedStorage(inner, calls, held),
    keys: options.keys ?? [key],
    now: () => clock.now,
    playlistRevalidateSeconds: 10,
    ...(options.storeAnswerTimeoutMs ? { storeAnswerTimeoutMs: options.storeAnswerTimeoutMs } : {}),
    // pino writes each line synchronously, before the response is sent: no waiting needed.
    logger: {
      level: options.logLevel ?? 'warn',
      stream: { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) },
    },
  });
  t.after(() => app.close());
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  const previewsRoot = join(storageRoot, 'previews');
  const token = (claims: { sha?: string; exp?: number } = {}, signWith = key) =>
    signEdgeToken({ sha: claims.sha ?? sha, exp: claims.exp ?? nowSeconds + 600, scope: 'preview' }, signWith);
  return {
    app,
    baseUrl,
    storageRoot,
    cacheDir,
    calls,
    logs,
    clock,
    holdStore() {
      let release!: () => void;
      held.gate = new Promise<void>((resolve) => (release = resolve));
      return () => {
        held.gate = null;
        release();
      };
    },
    async putPreview(path, body) {
      await mkdir(dirname(join(previewsRoot, path)), { recursive: true });
      await writeFile(join(previewsRoot, path), body);
    },
    removePreview: (path) => rm(join(previewsRoot, path)),
    token,
    url: (path, withToken = token()) => `${baseUrl}/v/${withToken}/${path}`,
  };
}

/** The error code of an edge error answer. */
export async function errorCode(response: Response): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}
