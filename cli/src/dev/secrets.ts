import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DevState {
  edgeSigningKey: string;
  storageSigningKey: string;
  /** The first admin's token, kept so that a restarted dev stack prints the same one. */
  adminToken?: string;
  projectId?: string;
}

/**
 * The embedded stack's secrets, generated once per data dir (mode 0600), so a
 * new user needs no configuration and restarts keep their signed URLs and token.
 */
export function loadDevState(dataDir: string): DevState {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'dev-state.json');
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DevState;
  } catch {
    const state: DevState = {
      edgeSigningKey: randomBytes(32).toString('base64url'),
      storageSigningKey: randomBytes(32).toString('base64url'),
    };
    saveDevState(dataDir, state);
    return state;
  }
}

export function saveDevState(dataDir: string, state: DevState): void {
  writeFileSync(join(dataDir, 'dev-state.json'), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}
