import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isAppError } from '@mediavault/core/errors';
import { isCpl, parseCpl } from '../src/imf/cpl.ts';
import { parseAssetMap, parsePkl } from '../src/imf/packing.ts';
import { readRootElement } from '../src/imf/xml-document.ts';

const fixtures = join(import.meta.dirname, 'fixtures', 'imf');
const cplFile = 'CPL_8e5b0f2a-6c1d-4b7e-9a3f-2d4c6e8f0a1b.xml';
const pklFile = 'PKL_c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f.xml';
const read = (name: string) => readFile(join(fixtures, name), 'utf8');

function unprocessable(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(isAppError(err), `expected an AppError, got ${String(err)}`);
    assert.equal(err.code, 'unprocessable');
    assert.match(err.message, pattern);
    return true;
  };
}

/** A minimal CPL around one image resource, to vary one element at a time. */
function cplWith(resource: string, options: { namespace?: string; editRate?: string } = {}): string {
  const ns = options.namespace ?? 'http://www.smpte-ra.org/schemas/2067-3/2016';
  return `<?xml version="1.0"?>
<CompositionPlaylist xmlns="${ns}" xmlns:cc="http://www.smpte-ra.org/schemas/2067-2/2016">
  <Id>urn:uuid:11111111-2222-4333-8444-555555555555</Id>
  <ContentTitle>Variant</ContentTitle>
  <EditRate>${options.editRate ?? '25 1'}</EditRate>
  <SegmentList><Segment><Id>urn:uuid:11111111-2222-4333-8444-666666666666</Id><SequenceList>
    <cc:MainImageSequence><Id>urn:uuid:11111111-2222-4333-8444-777777777777</Id><TrackId>urn:uuid:11111111-2222-4333-8444-888888888888</TrackId>
      <ResourceList>${resource}</ResourceList>
    </cc:MainImageSequence>
  </SequenceList></Segment></SegmentList>
</CompositionPlaylist>`;
}

const resource = (fields: string, id = 'aaaaaaaa-0000-4000-8000-000000000001') =>
  `<Resource><Id>urn:uuid:${id}</Id>${fields}<TrackFileId>urn:uuid:bbbbbbbb-0000-4000-8000-000000000001</TrackFileId></Resource>`;

describe('parseCpl', () => {
  it('reads title, edit rate, duration and track files of the fixture composition', async () => {
    const cpl = parseCpl(await read(cplFile), cplFile);
    assert.equal(cpl.id, 'urn:uuid:8e5b0f2a-6c1d-4b7e-9a3f-2d4c6e8f0a1b');
    assert.equal(cpl.title, 'Mediavault Test Feature & Friends');
    assert.deepEqual(cpl.editRate, { num: 24, den: 1 });
    // Image: IntrinsicDuration 250 − EntryPoint 10 (no SourceDuration) = 240 frames = 10 s.
    assert.equal(cpl.durationFrames, 240);
    assert.equal(cpl.durationSeconds, 10);
    // Upper-case UUIDs in the CPL compare equal to the PKL's lower-case ones.
    assert.deepEqual(cpl.trackFileIds, [
      'urn:uuid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
      'urn:uuid:b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e',
    ]);
    assert.equal(cpl.namespace, '2016');
    const [segment] = cpl.segments;
    assert.deepEqual(
      segment!.sequences.map((s) => [s.kind, s.resources[0]!.durationEditUnits, s.resources[0]!.editRate.num]),
      [
        ['MainImageSequence', 240, 24],
        ['MainAudioSequence', 480000, 48000],
      ],
    );
  });

  it('sums resources and segments, honours SourceDuration and RepeatCount', () => {
    const twoResources = cplWith(
      resource(
        '<IntrinsicDuration>100</IntrinsicDuration><EntryPoint>5</EntryPoint><SourceDuration>50</SourceDuration>',
      ) +
        resource(
          '<IntrinsicDuration>30</IntrinsicDuration><RepeatCount>3</RepeatCount>',
          'aaaaaaaa-0000-4000-8000-000000000002',
        ),
    );
    const cpl = parseCpl(twoResources);
    assert.equal(cpl.durationFrames, 50 + 90);
    assert.equal(cpl.durationSeconds, 140 / 25);
    assert.deepEqual(cpl.trackFileIds, ['urn:uuid:bbbbbbbb-0000-4000-8000-000000000001']);
  });

  it('keeps 23.976 as 24000/1001', () => {
    const cpl = parseCpl(cplWith(resource('<IntrinsicDuration>24000</IntrinsicDuration>'), { editRate: '24000 1001' }));
    assert.deepEqual(cpl.editRate, { num: 24000, den: 1001 });
    assert.equal(cpl.durationSeconds, 1001);
  });

  it('accepts the 2013 namespace', () => {
    assert.equal(
      parseCpl(
        cplWith(resource('<IntrinsicDuration>1</IntrinsicDuration>'), {
          namespace: 'http://www.smpte-ra.org/schemas/2067-3/2013',
        }),
      ).namespace,
      '2013',
    );
  });

  it('answers unprocessable, never a crash, for broken documents', async () => {
    const good = await read(cplFile);
    assert.throws(
      () => parseCpl(good.slice(0, 900), cplFile),
      unprocessable(new RegExp(`the CPL \\(${cplFile}\\) is not well-formed XML: .*line \\d+, column \\d+`)),
    );
    assert.throws(() => parseCpl(''), unprocessable(/the CPL is empty/));
    assert.throws(() => parseCpl('garbage, not XML'), unprocessable(/not well-formed|found no element/));
    assert.throws(
      () => parseCpl('<PackingList xmlns="http://www.smpte-ra.org/schemas/2067-2/2016/PKL"/>'),
      unprocessable(/expected a CPL .*found <PackingList>/),
    );
    assert.throws(
      () =>
        parseCpl(
          cplWith(resource('<IntrinsicDuration>1</IntrinsicDuration>'), {
            namespace: 'http://www.smpte-ra.org/schemas/429-7/2006/CPL',
          }),
        ),
      unprocessable(/namespace .*429-7.* not an IMF CPL namespace/),
    );
    assert.throws(
      () => parseCpl(cplWith(resource('<IntrinsicDuration>ten</IntrinsicDuration>'))),
      unprocessable(/invalid .*IntrinsicDuration: "ten"/),
    );
    assert.throws(
      () =>
        parseCpl(
          cplWith(
            resource(
              '<IntrinsicDuration>10</IntrinsicDuration><EntryPoint>4</EntryPoint><SourceDuration>7</SourceDuration>',
            ),
          ),
        ),
      unprocessable(/playing past its IntrinsicDuration/),
    );
    assert.throws(
      () => parseCpl(cplWith(resource('<EntryPoint>4</EntryPoint>'))),
      unprocessable(/has no .*IntrinsicDuration/),
    );
    assert.throws(
      () => parseCpl(cplWith(resource('<IntrinsicDuration>1</IntrinsicDuration>'), { editRate: '25' })),
      unprocessable(/invalid EditRate: "25"/),
    );
    assert.throws(
      () => parseCpl(good.replace('urn:uuid:8e5b0f2a-6c1d-4b7e-9a3f-2d4c6e8f0a1b', 'not-a-uuid')),
      unprocessable(/invalid Id: "not-a-uuid" is not a urn:uuid/),
    );
  });

  it('does not expand an entity bomb', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
${cplWith(resource('<IntrinsicDuration>1</IntrinsicDuration>')).replace('<?xml version="1.0"?>', '').replace('Variant', '&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;')}`;
    try {
      const cpl = parseCpl(bomb);
      assert.ok(!cpl.title.includes('lollol'), 'DOCTYPE entities are not expanded');
    } catch (err) {
      assert.ok(isAppError(err) && err.code === 'unprocessable', `unexpected ${String(err)}`);
    }
  });
});

describe('isCpl', () => {
  it('recognizes an IMF CPL whatever its prefix, and nothing else', async () => {
    assert.equal(isCpl(await read(cplFile)), true);
    assert.equal(isCpl(cplWith(resource('<IntrinsicDuration>1</IntrinsicDuration>'))), true);
    assert.equal(isCpl(await read(pklFile)), false);
    assert.equal(
      isCpl(cplWith('', { namespace: 'http://www.smpte-ra.org/schemas/429-7/2006/CPL' })),
      false,
      'a DCP CPL is not IMF',
    );
    assert.equal(isCpl('<xmeml version="5"><sequence/></xmeml>'), false);
    assert.equal(isCpl('not xml at all'), false);
  });

  it('reads the root element past declaration, comments and DOCTYPE', () => {
    assert.deepEqual(
      readRootElement(
        '\uFEFF<?xml version="1.0"?>\n<!-- a > b -->\n<!DOCTYPE x>\n<a:Root xmlns:a="urn:x" xmlns="urn:y">',
      ),
      { localName: 'Root', namespace: 'urn:x' },
    );
    assert.deepEqual(readRootElement('<Root xmlns="urn:y"/>'), { localName: 'Root', namespace: 'urn:y' });
    assert.equal(readRootElement('no element'), null);
  });
});

describe('parsePkl', () => {
  it('lists every asset with its base64 SHA-1, size, type and original name', async () => {
    const pkl = parsePkl(await read(pklFile), pklFile);
    assert.equal(pkl.id, 'urn:uuid:c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f');
    assert.deepEqual(
      pkl.assets.map((a) => [a.id, a.size, a.type, a.originalFileName]),
      [
        ['urn:uuid:8e5b0f2a-6c1d-4b7e-9a3f-2d4c6e8f0a1b', pkl.assets[0]!.size, 'text/xml', cplFile],
        ['urn:uuid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', 26000, 'application/mxf', 'VIDEO_a1b2c3d4.mxf'],
        ['urn:uuid:b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e', 13000, 'application/mxf', 'AUDIO_b2c3d4e5.mxf'],
      ],
    );
    assert.equal(pkl.assets[0]!.hashAlgorithm, 'http://www.w3.org/2000/09/xmldsig#sha1');
    // The CPL entry is the real digest of the fixture CPL: the hash format is what linking compares.
    const cplBytes = await readFile(join(fixtures, cplFile));
    assert.equal(pkl.assets[0]!.hash, createHash('sha1').update(cplBytes).digest('base64'));
    assert.equal(pkl.assets[0]!.size, cplBytes.length);
    assert.equal(
      pkl.assets[1]!.hash,
      createHash('sha1').update('image track file stand-in\n'.repeat(1000)).digest('base64'),
    );
  });

  it('accepts the ST 429-8 namespace and rejects a bad hash or size', async () => {
    const pkl = await read(pklFile);
    const old = pkl.replace(
      'http://www.smpte-ra.org/schemas/2067-2/2016/PKL',
      'http://www.smpte-ra.org/schemas/429-8/2007/PKL',
    );
    assert.equal(parsePkl(old).assets.length, 3);
    assert.throws(
      () => parsePkl(pkl.replace('<Size>26000</Size>', '<Size>-1</Size>')),
      unprocessable(/invalid Asset\[2\]\/Size: "-1"/),
    );
    assert.throws(
      () => parsePkl(pkl.replace(/<Hash>[^<]+<\/Hash>/, '<Hash>not base64!</Hash>')),
      unprocessable(/Asset\[1\]\/Hash: .*not base64/),
    );
    assert.throws(
      () => parsePkl(pkl.replace(/<AssetList>[\s\S]*<\/AssetList>/, '<AssetList/>')),
      unprocessable(/lists no Asset/),
    );
  });
});

describe('parseAssetMap', () => {
  it('maps every asset id to its path and marks the packing list', async () => {
    const entries = parseAssetMap(await read('ASSETMAP.xml'), 'ASSETMAP.xml');
    assert.deepEqual(entries, [
      { id: 'urn:uuid:c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f', path: pklFile, packingList: true },
      { id: 'urn:uuid:8e5b0f2a-6c1d-4b7e-9a3f-2d4c6e8f0a1b', path: cplFile, packingList: false },
      { id: 'urn:uuid:a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', path: 'VIDEO_a1b2c3d4.mxf', packingList: false },
      { id: 'urn:uuid:b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e', path: 'AUDIO_b2c3d4e5.mxf', packingList: false },
    ]);
  });

  it('refuses paths that leave the package', async () => {
    const map = (await read('ASSETMAP.xml')).replace(
      '<Path>VIDEO_a1b2c3d4.mxf</Path>',
      '<Path>../../etc/passwd</Path>',
    );
    assert.throws(() => parseAssetMap(map), unprocessable(/Asset\[3\] pointing outside the package/));
  });
});
