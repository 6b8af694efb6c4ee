/**
 * The SDK generator's ErrorCode: the union of components.schemas.ErrorCode when
 * the spec lists its codes, string when it does not. Checked on the committed
 * spec edited in memory (openapi/ itself is generated from the api, never by hand).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateSdk, listErrorCodes, renderErrorCode } from '../scripts/generate.ts';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
// Inside the SDK (its node_modules resolve from there); .tmp/ is ignored by git.
const work = join(root, 'sdk', '.tmp', `generate-test-${process.pid}`);
after(() => rm(work, { recursive: true, force: true }));

const committedSpec = async () => JSON.parse(await readFile(join(root, 'openapi/openapi.json'), 'utf8'));

test('without components.schemas.ErrorCode, ErrorCode is any string', async () => {
  const spec = await committedSpec();
  // A spec from before the codes were listed: the code is a plain string there.
  delete spec.components.schemas.ErrorCode;
  spec.components.schemas.ErrorResponse.properties.error.properties.code = { type: 'string' };
  const operations = (await generateSdk(spec))['sdk/src/generated/operations.ts']!;
  assert.match(operations, /\nexport type ErrorCode = string;\n$/);
});

test('the codes are read from an enum, or from a union of literals as TypeBox writes it', () => {
  const specWith = (ErrorCode: object) => ({ paths: {}, components: { schemas: { ErrorCode } } });
  assert.deepEqual(listErrorCodes(specWith({ type: 'string', enum: ['not_found', 'conflict'] })), [
    'conflict',
    'not_found',
  ]);
  assert.deepEqual(
    listErrorCodes(
      specWith({
        anyOf: [
          { type: 'string', enum: ['gone'] },
          { type: 'string', const: 'bad_request' },
        ],
      }),
    ),
    ['bad_request', 'gone'],
  );
  assert.equal(listErrorCodes({ paths: {} }), null);
  assert.throws(() => listErrorCodes(specWith({ type: 'integer', enum: [1] })), /enum of strings/);
  assert.equal(renderErrorCode(['a', 'b']).trim().split('\n').at(-1)?.trim(), "| 'b';");
});

test('with the codes in the spec, ErrorCode is their union and the SDK typechecks against it', async () => {
  const spec = await committedSpec();
  spec.components.schemas.ErrorCode = { type: 'string', enum: ['not_found', 'invalid_state', 'bad_request'] };
  spec.components.schemas.ErrorResponse.properties.error.properties.code = { $ref: '#/components/schemas/ErrorCode' };
  const files = await generateSdk(spec);
  assert.match(
    files['sdk/src/generated/operations.ts']!,
    /export type ErrorCode =\n {2}\| 'bad_request'\n {2}\| 'invalid_state'\n {2}\| 'not_found';\n$/,
  );

  await mkdir(work, { recursive: true });
  await cp(join(root, 'sdk/src'), join(work, 'src'), { recursive: true });
  for (const [path, content] of Object.entries(files))
    if (path.startsWith('sdk/src/generated/')) await writeFile(join(work, path.slice('sdk/'.length)), content);
  await writeFile(
    join(work, 'check.ts'),
    `import { MediavaultApiError, type ErrorCode } from './src/index.ts';
const known: ErrorCode = 'invalid_state';
// @ts-expect-error not one of the spec's codes
const unknown: ErrorCode = 'no_such_code';
const err = new MediavaultApiError({ status: 409, code: known, message: 'x', operation: 'completeUpload' });
const code: ErrorCode | string = err.code;
export { code, unknown };
`,
  );
  await writeFile(
    join(work, 'tsconfig.json'),
    JSON.stringify({ extends: '../../../tsconfig.json', include: ['src', 'check.ts'], exclude: [] }),
  );
  await promisify(execFile)(join(root, 'node_modules/.bin/tsc'), ['-p', join(work, 'tsconfig.json'), '--noEmit']).catch(
    (err: { stdout: string }) => assert.fail(`tsc:\n${err.stdout}`),
  );
});
