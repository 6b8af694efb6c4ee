/**
 * The SDK and the CLI as an outsider gets them: `npm pack` (which builds them),
 * the SDK's tarball installed into a fresh project outside the repository and
 * imported there on Node 24 and on the system Node (20 on these machines), the
 * CLI installed globally into a prefix with the SDK's tarball, then run against
 * the real api.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startTestApiWithDir } from '../../sdk/test/helpers/api-server.ts';

const run = promisify(execFile);
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const node24 = join(root, 'node_modules/.bin/node');
const { api, dir } = await startTestApiWithDir('mediavault-packaging-');

/** npm as a user runs it; the cache the repository's install filled answers before the registry. */
const npm = (args: string[], cwd: string) =>
  run('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    maxBuffer: 16 * 1024 * 1024,
  });

async function pack(workspace: string): Promise<{ tarball: string; files: string[] }> {
  const { stdout } = await npm(['pack', '--json', '--pack-destination', dir], join(root, workspace));
  // The prepack build prints its own lines before npm's JSON.
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('[\n'))) as { filename: string; files: { path: string }[] }[];
  return { tarball: join(dir, packed!.filename), files: packed!.files.map((f) => f.path).sort() };
}

const sdk = await pack('sdk');
const cli = await pack('cli');

/** The system `node` when it is another major version than the repository's (Node 20 here), else null. */
async function systemNode(): Promise<string | null> {
  const { stdout } = await run('sh', ['-c', 'command -v node || true'], {
    env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
  });
  const path = stdout.trim();
  if (!path) return null;
  const version = (await run(path, ['--version'])).stdout.trim();
  return version.startsWith('v24.') ? null : path;
}

describe('packages', () => {
  test('the tarballs hold the build, the types, a README and the licence; no sources, no tests', () => {
    assert.deepEqual(sdk.files, [
      'LICENSE',
      'README.md',
      'dist/index.d.ts',
      'dist/index.js',
      'dist/index.js.map',
      'package.json',
    ]);
    assert.ok(cli.files.includes('bin/mediavault.js') && cli.files.includes('dist/bin.js'), cli.files.join(' '));
    assert.deepEqual(
      cli.files.filter((f) => !f.startsWith('dist/') && f !== 'bin/mediavault.js'),
      ['LICENSE', 'README.md', 'package.json'],
    );
  });

  test('the SDK installed from its tarball outside the repository calls the api, on Node 24 and on the system Node', async () => {
    const app = join(dir, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), '{ "name": "app", "private": true, "type": "module" }\n');
    await npm(['install', sdk.tarball], app);
    await writeFile(
      join(app, 'call.js'),
      `import { createClient, MediavaultApiError } from '@mediavault/sdk';
const client = createClient({ baseUrl: process.argv[2], token: process.argv[3] });
const me = await client.getMe();
const missing = await client.getAsset({ params: { assetId: '00000000-0000-4000-8000-000000000000' } }).catch((err) => err);
console.log(JSON.stringify({ email: me.user.email, missing: missing instanceof MediavaultApiError ? missing.code : String(missing) }));
await client.close();
`,
    );
    const nodes = [node24, ...((await systemNode()) ? [(await systemNode())!] : [])];
    for (const node of nodes) {
      const { stdout } = await run(node, ['call.js', api.url, api.org.token], { cwd: app });
      assert.deepEqual(JSON.parse(stdout), { email: 'admin@test', missing: 'not_found' }, node);
    }
  });

  test('the CLI installed globally with the SDK runs --help and whoami; dev says what to do instead', async () => {
    const prefix = join(dir, 'global');
    await npm(['install', '--global', '--prefix', prefix, cli.tarball, sdk.tarball], dir);
    const installed = join(prefix, 'lib/node_modules');
    const everything = await readdir(installed, { recursive: true });
    assert.deepEqual(
      everything.filter((p) => /(^|\/)(@mediavault\/(api|worker|edge|core)|fastify|pg-boss|@aws-sdk)$/.test(p)),
      [],
      'no server parts installed',
    );
    // The bin's `#!/usr/bin/env node` takes the first node on PATH: the repository's Node 24.
    const env = { PATH: `${join(prefix, 'bin')}:${join(root, 'node_modules/node/bin')}:/usr/bin:/bin` };
    const mediavault = (args: string[], extra: Record<string, string> = {}) =>
      run('mediavault', args, { cwd: dir, env: { ...env, MEDIAVAULT_CONFIG_DIR: join(dir, 'config'), ...extra } });
    assert.ok(existsSync(join(prefix, 'bin/mediavault')));
    assert.match(
      (await mediavault(['--help'])).stdout,
      /Usage: mediavault .*\n[\s\S]*upload \[options\] <paths\.\.\.>/,
    );
    const whoami = await mediavault(['whoami', '--json'], { MEDIAVAULT_URL: api.url, MEDIAVAULT_TOKEN: api.org.token });
    assert.equal((JSON.parse(whoami.stdout) as { user: { email: string } }).user.email, 'admin@test');
    const dev = await mediavault(['dev']).then(
      () => assert.fail('mediavault dev must fail without the server parts'),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(dev.code, 1);
    assert.match(dev.stderr, /`mediavault dev` runs the whole platform .* from the mediavault repository/);
  });
});
