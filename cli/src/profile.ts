/**
 * CLI profiles: `{ "profiles": { "<name>": { "url", "token", "project"? } } }` in
 * profiles.json under $MEDIAVAULT_CONFIG_DIR, $XDG_CONFIG_HOME/mediavault or
 * ~/.config/mediavault. The file holds tokens, so it is written 0600 (dir 0700),
 * atomically (temp file + rename), and only ever by its owner.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Profile {
  url: string;
  token: string;
  /** Default project id for upload and assets list. */
  project?: string;
}

interface ProfilesFile {
  profiles: Record<string, Profile>;
}

export const defaultProfileName = 'default';

export function profilePath(env: NodeJS.ProcessEnv = process.env): string {
  const dir =
    env.MEDIAVAULT_CONFIG_DIR ||
    (env.XDG_CONFIG_HOME ? join(env.XDG_CONFIG_HOME, 'mediavault') : join(homedir(), '.config', 'mediavault'));
  return join(dir, 'profiles.json');
}

/** The name used when none is given: $MEDIAVAULT_PROFILE, else "default". */
export function profileName(name?: string, env: NodeJS.ProcessEnv = process.env): string {
  return name || env.MEDIAVAULT_PROFILE || defaultProfileName;
}

function readFile(path: string): ProfilesFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON; fix or delete it and run \`mediavault login\` again`);
  }
  const profiles = (parsed as Partial<ProfilesFile> | null)?.profiles;
  if (!profiles || typeof profiles !== 'object')
    throw new Error(`${path} has no "profiles" object; fix or delete it and run \`mediavault login\` again`);
  return { profiles };
}

/** The named profile (default: $MEDIAVAULT_PROFILE or "default"), or null when it does not exist. */
export function readProfile(name?: string): Profile | null {
  const profile = readFile(profilePath()).profiles[profileName(name)];
  if (!profile) return null;
  if (typeof profile.url !== 'string' || typeof profile.token !== 'string') {
    throw new Error(`profile "${profileName(name)}" in ${profilePath()} needs "url" and "token"`);
  }
  return profile;
}

/** Creates or replaces one profile, keeping the others; returns the file's path. */
export function writeProfile(name: string, profile: Profile): string {
  const path = profilePath();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const file = readFile(path);
  file.profiles[name] = {
    url: profile.url,
    token: profile.token,
    ...(profile.project ? { project: profile.project } : {}),
  };
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
  return path;
}
