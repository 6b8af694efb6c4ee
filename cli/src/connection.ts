import { createClient, MediavaultApiError, type MediavaultClient } from '@mediavault/sdk';
import { CliError, UsageError } from './exit-codes.ts';
import { profileName, readProfile } from './profile.ts';

export interface Connection {
  url: string;
  token: string;
  /** Default project of the profile, if any. */
  project: string | undefined;
  profile: string;
}

/**
 * Where to connect: MEDIAVAULT_URL / MEDIAVAULT_TOKEN override the profile
 * (MEDIAVAULT_PROFILE or --profile, else "default"). A profile's token is never
 * sent to a different MEDIAVAULT_URL.
 */
export function resolveConnection(options: { profile?: string }, env: NodeJS.ProcessEnv = process.env): Connection {
  const name = profileName(options.profile, env);
  const profile = readProfile(name);
  const url = env.MEDIAVAULT_URL || profile?.url;
  const sameServer = profile && (!env.MEDIAVAULT_URL || trimSlash(env.MEDIAVAULT_URL) === trimSlash(profile.url));
  const token = env.MEDIAVAULT_TOKEN || (sameServer ? profile.token : undefined);
  if (!url || !token) {
    throw new UsageError(
      !url && !token
        ? `not logged in: run \`mediavault login --url <api url> --token <token>\` (profile "${name}") or set MEDIAVAULT_URL and MEDIAVAULT_TOKEN`
        : `no ${url ? 'token' : 'url'} for ${url ?? 'this token'}: set ${url ? 'MEDIAVAULT_TOKEN' : 'MEDIAVAULT_URL'} or run \`mediavault login\``,
    );
  }
  return { url, token, project: profile?.project && sameServer ? profile.project : undefined, profile: name };
}

export function connect(connection: Pick<Connection, 'url' | 'token'>): MediavaultClient {
  try {
    return createClient({ baseUrl: connection.url, token: connection.token, userAgent: 'mediavault-cli/0.1.0' });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** --project takes an id or a project name; without it, the profile's default project. */
export async function resolveProject(
  client: MediavaultClient,
  given: string | undefined,
  connection: Connection,
): Promise<{ id: string; name: string }> {
  const wanted = given ?? connection.project;
  if (!wanted)
    throw new UsageError(
      `no project: pass --project <id or name> (profile "${connection.profile}" has no default project)`,
    );
  if (uuidPattern.test(wanted)) {
    try {
      const project = await client.getProject({ params: { projectId: wanted.toLowerCase() } });
      return { id: project.id, name: project.name };
    } catch (err) {
      if (err instanceof MediavaultApiError && err.status === 404) {
        throw new CliError(
          'project_not_found',
          `project ${wanted} not found (or you have no role in it); \`mediavault whoami\` lists your projects`,
        );
      }
      throw err;
    }
  }
  const { items } = await client.listProjects();
  const matches = items.filter((p) => p.name === wanted);
  if (matches.length === 1) return { id: matches[0]!.id, name: matches[0]!.name };
  if (matches.length > 1)
    throw new CliError(
      'project_ambiguous',
      `${matches.length} projects are named "${wanted}": pass the project id (${matches.map((p) => p.id).join(', ')})`,
    );
  const known = items.map((p) => `"${p.name}"`).join(', ') || 'none';
  throw new CliError('project_not_found', `no project named "${wanted}" among the projects you can access (${known})`);
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
