import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Storage } from '@mediavault/core/storage/types';

export interface Workspace {
  dir: string;
  dispose(): Promise<void>;
}

/** A private scratch directory per job, removed however the job ends. */
export async function createWorkspace(prefix: string): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), `mediavault-${prefix}-`));
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * A local path ffmpeg can read. Object stores are streamed to the workspace;
 * the fs driver's files are read where they are (no copy of a NAS master).
 */
export async function localCopy(storage: Storage, key: string, workspace: Workspace, name = 'source'): Promise<string> {
  const direct = storage.localPath?.(key);
  if (direct) return direct;
  const path = join(workspace.dir, name);
  await pipeline(await storage.get(key), createWriteStream(path));
  return path;
}
