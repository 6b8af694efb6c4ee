/**
 * One fingerprint, two copies: the SDK's (computed on local files; the SDK does not import core)
 * and core's (computed by the worker on masters) must agree on the same bytes, or nothing would
 * ever match.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as core from '@mediavault/core/fingerprint';
import * as sdk from '../src/fingerprint.ts';

const MiB = 1024 * 1024;
const dir = await mkdtemp(join(tmpdir(), 'mediavault-fingerprint-'));
after(() => rm(dir, { recursive: true, force: true }));

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const coreFingerprint = (bytes: Buffer) =>
  core.fingerprintOf(core.fingerprintRanges(bytes.length).map(([start, end]) => bytes.subarray(start, end)));

async function fileFingerprint(bytes: Buffer): Promise<string> {
  const path = join(dir, `f-${bytes.length}`);
  await writeFile(path, bytes);
  const handle = await open(path);
  try {
    return await sdk.fingerprintFile(handle, bytes.length);
  } finally {
    await handle.close();
  }
}

test('the SDK and core agree on the same bytes, at every size around the 2 MiB boundary', async () => {
  assert.equal(sdk.fingerprintEndBytes, core.fingerprintEndBytes);
  for (const size of [0, 1, 2 * MiB - 1, 2 * MiB, 2 * MiB + 1, 5 * MiB + 7]) {
    const bytes = randomBytes(size);
    assert.deepEqual(sdk.fingerprintRanges(size), core.fingerprintRanges(size), `ranges at ${size}`);
    const fromFile = await fileFingerprint(bytes);
    assert.equal(fromFile, coreFingerprint(bytes), `fingerprint at ${size}`);
    assert.equal(core.fingerprintIsSha256(size), fromFile === sha256(bytes), `sha256 or not at ${size}`);
  }
});

test('up to 2 MiB it is the sha256; above, the two ends decide and the middle does not', async () => {
  const small = randomBytes(2 * MiB);
  assert.equal(await fileFingerprint(small), sha256(small));

  const large = randomBytes(3 * MiB);
  const otherMiddle = Buffer.from(large);
  otherMiddle[Math.floor(1.5 * MiB)]! ^= 1;
  const otherEnd = Buffer.from(large);
  otherEnd[large.length - 1]! ^= 1;
  const otherStart = Buffer.from(large);
  otherStart[0]! ^= 1;
  assert.equal(coreFingerprint(otherMiddle), coreFingerprint(large));
  assert.notEqual(coreFingerprint(otherEnd), coreFingerprint(large));
  assert.notEqual(coreFingerprint(otherStart), coreFingerprint(large));
  assert.deepEqual(core.fingerprintRanges(large.length), [
    [0, MiB],
    [2 * MiB, 3 * MiB],
  ]);
});
