import { MediavaultApiError, type MediavaultClient } from '@mediavault/sdk';
import { connect, resolveConnection, resolveProject } from '../connection.ts';
import { CliError, exitCodes, UsageError } from '../exit-codes.ts';
import { createOutput, reportFailure } from '../output.ts';
import { profileName, writeProfile } from '../profile.ts';

export interface LoginOptions {
  url?: string;
  token?: string;
  project?: string;
  profile?: string;
  json?: boolean;
  quiet?: boolean;
}

/** `mediavault login`: checks the token with getMe, then saves the profile (never an unverified one). */
export async function runLogin(options: LoginOptions): Promise<number> {
  const output = createOutput(options.json ?? false, options.quiet ?? false);
  let client: MediavaultClient | undefined;
  try {
    const url = options.url ?? process.env.MEDIAVAULT_URL;
    const token = options.token ?? process.env.MEDIAVAULT_TOKEN;
    if (!url || !token)
      throw new UsageError(
        `login needs ${!url ? '--url (or MEDIAVAULT_URL)' : ''}${!url && !token ? ' and ' : ''}${!token ? '--token (or MEDIAVAULT_TOKEN)' : ''}`,
      );
    client = connect({ url, token });
    const me = await client.getMe().catch((err: unknown) => {
      if (err instanceof MediavaultApiError && err.status === 401)
        throw new CliError('unauthenticated', `${url} refused the token: ${err.message}`);
      throw err;
    });
    const name = profileName(options.profile);
    // One project: it becomes the default; several: only when --project names one.
    const project = options.project
      ? (await resolveProject(client, options.project, { url, token, project: undefined, profile: name })).id
      : me.memberships.length === 1
        ? me.memberships[0]!.projectId
        : undefined;
    const path = writeProfile(name, { url: client.baseUrl, token, ...(project ? { project } : {}) });
    output.event('summary', {
      profile: name,
      url: client.baseUrl,
      user: me.user,
      organization: me.organization,
      project: project ?? null,
      path,
    });
    output.info(
      `logged in to ${client.baseUrl} as ${me.user.email} (${me.organization.name}); profile "${name}" saved to ${path}${project ? `, default project ${project}` : ''}`,
    );
    return exitCodes.ok;
  } catch (err) {
    return reportFailure(output, err);
  } finally {
    await client?.close();
  }
}

/** `mediavault whoami`: who the token belongs to, where, and the caller's projects. */
export async function runWhoami(options: { profile?: string; json?: boolean; quiet?: boolean }): Promise<number> {
  const output = createOutput(options.json ?? false, options.quiet ?? false);
  let client: MediavaultClient | undefined;
  try {
    const connection = resolveConnection(options);
    client = connect(connection);
    const me = await client.getMe();
    output.event('summary', {
      url: client.baseUrl,
      profile: connection.profile,
      defaultProject: connection.project ?? null,
      ...me,
    });
    output.line(`${me.user.name} <${me.user.email}>${me.user.isOrgAdmin ? ' (organization admin)' : ''}`);
    output.line(
      `organization ${me.organization.name} (${me.organization.id}) at ${client.baseUrl}, profile "${connection.profile}"`,
    );
    for (const m of me.memberships)
      output.line(
        `  ${m.role.padEnd(8)} ${m.projectId}  ${m.projectName}${m.projectId === connection.project ? '  (default)' : ''}`,
      );
    return exitCodes.ok;
  } catch (err) {
    return reportFailure(output, err);
  } finally {
    await client?.close();
  }
}
