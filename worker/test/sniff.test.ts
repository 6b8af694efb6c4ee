import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { adtsFrame, looksLikeXml, mpegAudioFrame, sniffContent } from '../src/media/sniff.ts';
import { runFfmpeg } from '../src/media/run.ts';
import { readXmlDocument } from '../src/jobs/probe.ts';
import { maxXmlBytes } from '../src/imf/xml-document.ts';

const cpl =
  '<?xml version="1.0" encoding="UTF-8"?>\n<CompositionPlaylist xmlns="http://www.smpte-ra.org/schemas/2067-3/2016"><Id>urn:uuid:1</Id></CompositionPlaylist>\n';

test('XML documents are told from binary data that starts with "<"', () => {
  assert.equal(looksLikeXml(Buffer.from(cpl)), true);
  assert.equal(
    looksLikeXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('\n  <AssetMap>')])),
    true,
    'a BOM and whitespace before the root',
  );
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
    await writeFile(
      binary,
      Buffer.concat([Buffer.from('<A'), Buffer.from([0x00, 0xff, 0x10]), Buffer.alloc(4096, 0xab)]),
    );
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

test('an audio stream without a container is media only when its second frame header follows the first', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mediavault-sniff-'));
  try {
    // Real streams from ffmpeg: MP3 (layer III), MP2 (layer II) and ADTS (AAC), one second of tone each.
    const heads: Record<string, Buffer> = {};
    const streams = [
      ['tone.mp3', ['-c:a', 'libmp3lame', '-write_xing', '0', '-id3v2_version', '0']],
      ['tone.mp2', ['-c:a', 'mp2']],
      ['tone.aac', ['-c:a', 'aac']],
    ] as const;
    for (const [name, codec] of streams) {
      const path = join(dir, name);
      await runFfmpeg([
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:sample_rate=44100:duration=1',
        ...codec,
        '-b:a',
        '128k',
        path,
      ]);
      heads[name] = (await readFile(path)).subarray(0, 4096);
      assert.equal(heads[name]![0], 0xff, `${name} starts with a frame sync, not a tag`);
      // Named neutrally, so the first bytes alone decide.
      assert.equal(sniffContent(heads[name]!, 'take1.bin'), 'media', name);
    }
    assert.equal(
      mpegAudioFrame(heads['tone.mp3']!, 0)?.length,
      417,
      '128 kb/s at 44.1 kHz: 144 × 128000 / 44100 bytes',
    );
    assert.ok(adtsFrame(heads['tone.aac']!, 0), 'an ADTS header');

    // The first frame header of a real stream followed by other bytes: random data that happens to start with a sync.
    for (const name of ['tone.mp3', 'tone.mp2', 'tone.aac']) {
      const forged = Buffer.concat([heads[name]!.subarray(0, 7), Buffer.alloc(4089, 0x5a)]);
      assert.equal(sniffContent(forged, 'IMG_00314.dng'), 'other', `${name}'s first header alone`);
    }
    // The case the benchmark ran into: a random file starting ff f3 (layer III sync, reserved fields or no second frame).
    assert.equal(sniffContent(Buffer.from('fff3684fa0aa2830'.padEnd(8192, '7'), 'hex'), 'IMG_00314.dng'), 'other');
    // A file that is only one frame long is still media by its name.
    assert.equal(sniffContent(heads['tone.mp3']!.subarray(0, 417), 'short.mp3'), 'media');

    // Random data: of 200,000 heads, none is media (the old frame-sync test took about 1 in 2,700).
    // The same 200,000 every run (an AES-CTR keystream of a fixed key): a test of odds must not
    // pass or fail by the draw.
    const keystream = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16, 0));
    const random = keystream.update(Buffer.alloc(200_000 * 200));
    const misread: number[] = [];
    const head = Buffer.alloc(4096);
    for (let i = 0; i < 200_000; i++) {
      random.copy(head, 0, i * 200, (i + 1) * 200);
      if (sniffContent(head, 'IMG.dng') === 'media') misread.push(i);
    }
    assert.deepEqual(misread, []);

    // Transport streams: every packet the head holds starts with 0x47, not only the first two.
    const ts = Buffer.alloc(188 * 21, 0x11);
    for (let at = 0; at < ts.length; at += 188) ts[at] = 0x47;
    assert.equal(sniffContent(ts, 'clip.bin'), 'media');
    ts[188 * 7] = 0x00;
    assert.equal(sniffContent(ts, 'clip.bin'), 'other');
    assert.equal(sniffContent(Buffer.from('Good morning, a note of less than a packet.'), 'note.txt'), 'other');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
