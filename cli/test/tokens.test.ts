/** Issue 12, the CLI of point 6: `mediavault tokens list|revoke` through the real CLI against the real api. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createMemberWithToken } from '@mediavault/api/bootstrap';
import { callApi } from '../../test/helpers/api.ts';
import { startTestApiWithDir } from '../../sdk/test/helpers/api-server.ts';
import { runCli } from './helpers/run-cli.ts';

const { api, dir } = await startTestApiWithDir('mediavault-tokens-');
const mediavault = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, {
    cwd: dir,
    env: {
      MEDIAVAULT_CONFIG_DIR: join(dir, 'config'),
      MEDIAVAULT_URL: api.url,
      MEDIAVAULT_TOKEN: api.org.token,
      ...env,
    },
  });

describe('mediavault tokens', () => {
  test('list shows every token of the caller with its state, the one in use marked; revoke refuses it at once', async () => {
    const ci = await callApi(api.url, 'POST', '/api/tokens', api.org.token, { name: 'ci-runner' });
    assert.equal(ci.status, 201);

    const list = await mediavault(['tokens', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const listed = list.lines.filter((l) => l.event === 'token');
    // Newest first.
    assert.deepEqual(
      listed.map((t) => [t.name, t.state, t.current]),
      [
        ['ci-runner', 'active', false],
        ['bootstrap', 'active', true],
      ],
    );
    assert.equal(listed[0]!.id, ci.body.id);
    const human = await mediavault(['tokens', 'list']);
    assert.match(
      human.stdout,
      new RegExp(`^${ci.body.id}  mvt_\\S+…\\s+active\\s+created \\S+  used -  expires -  ci-runner$`, 'm'),
    );
    assert.match(human.stdout, /\(this token\)$/m);

    const revoked = await mediavault(['tokens', 'revoke', ci.body.id, '--json']);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.lines.at(-1)!.state, 'revoked');
    assert.equal((await callApi(api.url, 'GET', '/api/me', ci.body.token)).status, 401, 'refused at once');
    const after = await mediavault(['tokens', 'list', '--json']);
    assert.equal(after.lines.find((t) => t.id === ci.body.id)?.state, 'revoked');

    const again = await mediavault(['tokens', 'revoke', ci.body.id]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`revoked token ci-runner .* at ${revoked.lines.at(-1)!.revokedAt}`));
  });

  test('bad ids, other users and --all without the right', async () => {
    const member = await createMemberWithToken(api.pool, {
      organizationId: api.org.organizationId,
      projectId: api.org.projectId,
      email: 'editor@tokens.test',
      role: 'editor',
    });
    const asMember = { MEDIAVAULT_TOKEN: member.token };
    const adminToken = (await callApi(api.url, 'GET', '/api/tokens', api.org.token)).body.items[0].id as string;

    const notMine = await mediavault(['tokens', 'revoke', adminToken], asMember);
    assert.equal(notMine.code, 1);
    assert.match(notMine.stderr, /not found \(or not yours to revoke\)/);
    const usage = await mediavault(['tokens', 'revoke', 'mvt_abc']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /takes a token id/);
    const all = await mediavault(['tokens', 'list', '--all'], asMember);
    assert.equal(all.code, 1);
    assert.match(all.stderr, /organization admins/);

    const everyone = await mediavault(['tokens', 'list', '--all', '--json']);
    assert.ok(everyone.lines.some((t) => t.event === 'token' && t.userId === member.userId));
    assert.equal((await callApi(api.url, 'GET', '/api/me', api.org.token)).status, 200, 'nothing was revoked');
  });
});
