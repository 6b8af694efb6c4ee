import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isAppError } from '@mediavault/core/errors';
import { linkCplToVersions, recognizeImfPackage, type ImfFile, type KnownVersion } from '../src/imf/package.ts';

const fixtures = join(import.meta.dirname, 'fixtures', 'imf');
const cplFile = 'CPL_8e5b0f2a-6c1d-4b7e-9a3f-2d4c6e8f0a1b.xml';
const imageId = 'urn:uuid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const audioId = 'urn:uuid:b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e';
/** The PKL hashes of the stand-in track files (see the PKL fixture's comment). */
const imageSha1 = '0kuy9thNnHNDD66/tG6VJG8gRt4=';
const audioSha1 = 'x710vGFCQS/wB4to/0lzGyRB7kc=';

/** The fixture folder as a delivery, plus the two MXF files (never read: reading one fails the test). */
async function delivery(prefix = ''): Promise<{ files: ImfFile[]; reads: string[] }> {
  const reads: string[] = [];
  const names = await readdir(fixtures);
  const files: ImfFile[] = names.map((name) => ({
    name: prefix + name,
    read: async () => {
      reads.push(name);
      return readFile(join(fixtures, name), 'utf8');
    },
  }));
  for (const name of ['VIDEO_a1b2c3d4.mxf', 'AUDIO_b2c3d4e5.mxf']) {
    files.push({ name: prefix + name, read: async () => assert.fail(`${name} must not be read`) });
  }
  return { files, reads };
}

describe('recognizeImfPackage', () => {
  it('finds ASSETMAP, PKL and CPL of a delivery, reading only XML', async () => {
    const { files, reads } = await delivery('IMP_TEST/');
    const pkg = await recognizeImfPackage(files);
    assert.ok(pkg);
    assert.equal(pkg.assetMap?.file, 'IMP_TEST/ASSETMAP.xml');
    assert.equal(pkg.assetMap?.entries.length, 4);
    assert.equal(pkg.packingLists.length, 1);
    assert.equal(pkg.compositions.length, 1);
    assert.equal(pkg.compositions[0]!.cpl.title, 'Mediavault Test Feature & Friends');
    assert.deepEqual(pkg.warnings, []);
    assert.deepEqual(reads.sort(), [...(await readdir(fixtures))].sort());
  });

  it('recognizes a lone CPL', async () => {
    const xml = await readFile(join(fixtures, cplFile), 'utf8');
    const pkg = await recognizeImfPackage([{ name: cplFile, read: async () => xml }]);
    assert.ok(pkg);
    assert.equal(pkg.assetMap, null);
    assert.equal(pkg.compositions[0]!.cpl.durationFrames, 240);
  });

  it('says what is missing from a delivery', async () => {
    const { files } = await delivery();
    const withoutAudio = files.filter((f) => f.name !== 'AUDIO_b2c3d4e5.mxf');
    const pkg = await recognizeImfPackage(withoutAudio);
    assert.deepEqual(pkg?.warnings, [`AUDIO_b2c3d4e5.mxf (${audioId}) is in the ASSETMAP but was not delivered`]);
  });

  it('is null for deliveries without IMF documents, ignoring unrelated XML', async () => {
    assert.equal(await recognizeImfPackage([]), null);
    const unrelated: ImfFile[] = [
      { name: 'edit.xml', read: async () => '<xmeml version="5"><sequence/></xmeml>' },
      {
        name: 'dcp_cpl.xml',
        read: async () => '<CompositionPlaylist xmlns="http://www.smpte-ra.org/schemas/429-7/2006/CPL"/>',
      },
      { name: 'broken-notes.xml', read: async () => '<notes><unclosed></notes>' },
      { name: 'master.mov', read: async () => assert.fail('media is never read') },
    ];
    assert.equal(await recognizeImfPackage(unrelated), null);
  });

  it('a broken IMF document is a clear error naming the file', async () => {
    const xml = await readFile(join(fixtures, cplFile), 'utf8');
    await assert.rejects(
      recognizeImfPackage([{ name: 'IMP/CPL_cut.xml', read: async () => xml.slice(0, 1200) }]),
      (err) => {
        assert.ok(isAppError(err) && err.code === 'unprocessable');
        assert.match(err.message, /the CPL \(IMP\/CPL_cut\.xml\) is not well-formed XML/);
        return true;
      },
    );
    await assert.rejects(
      recognizeImfPackage([{ name: 'ASSETMAP.xml', read: async () => 'not xml' }]),
      /ASSETMAP \(ASSETMAP\.xml\)/,
    );
  });
});

describe('linkCplToVersions', () => {
  async function documents() {
    const { files } = await delivery();
    const pkg = (await recognizeImfPackage(files))!;
    return { cpl: pkg.compositions[0]!.cpl, pkl: pkg.packingLists[0]!.pkl, assetMap: pkg.assetMap!.entries };
  }

  it('links by hash when the versions carry a SHA-1, whatever their names', async () => {
    const { cpl, pkl, assetMap } = await documents();
    const versions: KnownVersion[] = [
      { versionId: 'v-img', originalName: 'renamed picture.mxf', size: 26000, sha1Base64: imageSha1 },
      { versionId: 'v-aud', originalName: 'sound.mxf', size: 13000, sha1Base64: audioSha1 },
      { versionId: 'v-other', originalName: 'VIDEO_a1b2c3d4.mxf', size: 1, sha1Base64: 'AAAA' },
    ];
    const result = linkCplToVersions(cpl, pkl, assetMap, versions);
    assert.equal(result.cplId, cpl.id);
    assert.deepEqual(result.links, [
      { trackFileId: imageId, versionId: 'v-img', matchedBy: 'hash', fileName: 'VIDEO_a1b2c3d4.mxf' },
      { trackFileId: audioId, versionId: 'v-aud', matchedBy: 'hash', fileName: 'AUDIO_b2c3d4e5.mxf' },
    ]);
    assert.deepEqual(result.missing, []);
    assert.deepEqual(result.mismatched, []);
  });

  it('falls back to name and size without hashes, and reports what is missing', async () => {
    const { cpl, pkl, assetMap } = await documents();
    const result = linkCplToVersions(cpl, pkl, assetMap, [
      { versionId: 'v-img', originalName: 'IMP/video_A1B2C3D4.MXF', size: 26000 },
    ]);
    assert.deepEqual(result.links, [
      { trackFileId: imageId, versionId: 'v-img', matchedBy: 'name-and-size', fileName: 'VIDEO_a1b2c3d4.mxf' },
    ]);
    assert.deepEqual(result.missing, [
      { trackFileId: audioId, fileName: 'AUDIO_b2c3d4e5.mxf', size: 13000, hash: audioSha1 },
    ]);
  });

  it('does not link a same-named file whose size or hash contradicts the PKL', async () => {
    const { cpl, pkl, assetMap } = await documents();
    const result = linkCplToVersions(cpl, pkl, assetMap, [
      { versionId: 'v-short', originalName: 'VIDEO_a1b2c3d4.mxf', size: 25999 },
      {
        versionId: 'v-damaged',
        originalName: 'AUDIO_b2c3d4e5.mxf',
        size: 13000,
        sha1Base64: 'x710vGFCQS/wB4to/0lzGyRB7kA=',
      },
    ]);
    assert.deepEqual(result.links, []);
    assert.deepEqual(result.mismatched, [
      {
        trackFileId: imageId,
        versionId: 'v-short',
        fileName: 'VIDEO_a1b2c3d4.mxf',
        differs: 'size',
        expected: 26000,
        actual: 25999,
      },
      {
        trackFileId: audioId,
        versionId: 'v-damaged',
        fileName: 'AUDIO_b2c3d4e5.mxf',
        differs: 'hash',
        expected: audioSha1,
        actual: 'x710vGFCQS/wB4to/0lzGyRB7kA=',
      },
    ]);
    assert.equal(result.missing.length, 2);
  });

  it('with a lone CPL (no PKL, no ASSETMAP) nothing can be matched by name: all missing', async () => {
    const { cpl } = await documents();
    const result = linkCplToVersions(cpl, null, null, [
      { versionId: 'v', originalName: 'VIDEO_a1b2c3d4.mxf', size: 26000 },
    ]);
    assert.deepEqual(result.links, []);
    assert.deepEqual(
      result.missing.map((m) => m.trackFileId),
      [imageId, audioId],
    );
  });

  it('with an ASSETMAP but no PKL, names are matched and said to be only names', async () => {
    const { cpl, assetMap } = await documents();
    const result = linkCplToVersions(cpl, null, assetMap, [
      { versionId: 'v', originalName: 'VIDEO_a1b2c3d4.mxf', size: 1 },
    ]);
    assert.deepEqual(result.links, [
      { trackFileId: imageId, versionId: 'v', matchedBy: 'name', fileName: 'VIDEO_a1b2c3d4.mxf' },
    ]);
  });
});
