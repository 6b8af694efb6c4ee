import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { looksLikeXml, sniffContent } from '../src/media/sniff.ts';
import { readXmlDocument } from '../src/jobs/probe.ts';
import { maxXmlBytes } from '../src/imf/xml-document.ts';

const cpl = '<?xml version="1.0" encoding="UTF-8"?>\n<CompositionPlaylist xmlns="http://www.smpte-ra.org/schemas/2067-3/2016"><Id>urn:uuid:1</Id></CompositionPlaylist>\n';

test('XML documents are told from binary data that starts with "<"', () => {
  assert.equal(looksLikeXml(Buffer.from(cpl)), true);
  assert.equal(looksLikeXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('\n  <AssetMap>')])), true, 'a BOM and whitespace before the root');
  assert.equal(looksLikeXml(Buffer.from('<PackingList xmlns="…">')), true, 'no declaration');
  // A multi-byte character cut by the end of the head.
  const cut = Buffer.from(`<Title>${'é'.repeat(200)}</Title>`).subarray(0, 256);
  assert.equal(looksLikeXml(cut), true, 'a character cut at the end of the head');

  // Random bytes that happen to start with "<" and a letter (about one random file in 1,300).
  const binary = Buffer.from([0x3c, 0x41, 0x9f, 0x00, 0x13, 0xfe, 0x22, 0x80, 0x01, 0x02]);
  assert.equal(looksLikeXml(binary), false);
  assert.equal(sniffContent(binary, 'A001C001.mov'), 'other');
  assert.equal(looksLikeXml(Buffer.from('<A\u0001 binary control character')), false);
  assert.equal(looksLikeXml(Buffer.from('< 1 is not an element')), false);
  assert.equal(looksLikeXml(Buffer.from('plain text')), false);
  assert.equal(looksLikeXml(Buffer.alloc(0)), false);

  assert.equal(sniffContent(Buffer.from(cpl), 'CPL_1.xml'), 'xml');
  assert.equal(sniffContent(Buffer.from('\u0000\u0000\u0000\u0018ftypqt  '), 'A001.mov'), 'media');
  assert.equal(sniffContent(Buffer.from('%PDF-1.7\n'), 'notes.pdf'), 'other');
});

test('readXmlDocument reads a small XML file and refuses binary data and files over the limit without reading them whole', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mediavault-sniff-'));
  try {
    const small = join(dir, 'CPL.xml');
    await writeFile(small, cpl);
    assert.equal(await readXmlDocument(small), cpl);

    const binary = join(dir, 'camera.mov');
    await writeFile(binary, Buffer.concat([Buffer.from('<A'), Buffer.from([0x00, 0xff, 0x10]), Buffer.alloc(4096, 0xab)]));
    assert.equal(await readXmlDocument(binary), null);

    // Starts like XML but is larger than any CPL/PKL/ASSETMAP: sparse, so it costs no disk.
    const huge = join(dir, 'huge.xml');
    const handle = await open(huge, 'w');
    await handle.write(Buffer.from('<?xml version="1.0"?><Root>'), 0, undefined, 0);
    await handle.truncate(maxXmlBytes + 1);
    await handle.close();
    assert.equal(await readXmlDocument(huge), null);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
