/**
 * The reader the frame-accuracy tests rely on, on pictures decoded by ffmpeg from a lossy
 * encode of a burned-in clip: it reads every frame's number and ffmpeg's own timecode, and
 * the timecode ffmpeg burned agrees with core's drop-frame count.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { frameToTimecode, parseRate } from '@mediavault/core/timecode';
import { runFfmpeg } from '../../worker/src/media/run.ts';
import {
  burnedInGlyphs,
  burnedInLayout,
  generateBurnedInClip,
  type Glyph,
} from '../../worker/test/fixtures-burned-in.ts';
import { makeTempDir } from '../../worker/test/fixtures.ts';
import { burnedInBand, readBurnedIn, type LumaBand } from './burned-in-reader.ts';

/** Every frame of `clip` re-encoded at preview quality (360p, 600 kbit/s), as luma bands. */
async function decodedBands(dir: string, clip: string): Promise<LumaBand[]> {
  const encoded = join(dir, 'preview.mp4');
  await runFfmpeg(['-loglevel', 'error', '-y', '-i', clip, '-an', '-c:v', 'libx264', '-b:v', '600k', encoded]);
  const raw = join(dir, 'frames.gray');
  await runFfmpeg(['-loglevel', 'error', '-y', '-i', encoded, '-f', 'rawvideo', '-pix_fmt', 'gray', raw]);
  const bytes = await readFile(raw);
  const { width, height } = burnedInLayout;
  const { top, rows } = burnedInBand();
  const frames = bytes.length / (width * height);
  return Array.from({ length: frames }, (_, frame) => {
    const start = frame * width * height + top * width;
    return { width, top, rows, luma: bytes.subarray(start, start + rows * width) };
  });
}

describe('burned-in frame numbers and timecode', () => {
  let glyphs: Glyph[];

  test('29.97 drop-frame across a minute: every frame read as ffmpeg drew it, and core agrees', async (t) => {
    const dir = await makeTempDir(t);
    glyphs = await burnedInGlyphs(dir);
    const startTimecode = '00:00:59;20';
    const clip = await generateBurnedInClip(dir, { fps: '30000/1001', startTimecode, seconds: 1 });
    const bands = await decodedBands(dir, clip);
    assert.equal(bands.length, 30);
    const rate = parseRate('30000/1001');
    for (const [frame, band] of bands.entries()) {
      const read = readBurnedIn(band, glyphs);
      assert.equal(read.frame, frame);
      assert.equal(read.timecode, frameToTimecode(frame, rate, { startTimecode, dropFrame: true }));
      assert.ok(read.worstMismatch < 0.05, `frame ${frame}: ${read.worstMismatch} of a cell differs from its glyph`);
    }
    // The minute's ;00 and ;01 are skipped: frame 10 follows 00:00:59;29.
    assert.equal(readBurnedIn(bands[10]!, glyphs).timecode, '00:01:00;02');
  });

  test('a picture without the lines is not read as a frame', async (t) => {
    const { width } = burnedInLayout;
    const { top, rows } = burnedInBand();
    glyphs ??= await burnedInGlyphs(await makeTempDir(t));
    const blank = readBurnedIn({ width, top, rows, luma: new Uint8Array(width * rows).fill(30) }, glyphs);
    // Blank cells match the emptiest glyph (':'), far from any digit.
    assert.ok(Number.isNaN(blank.frame), `read ${blank.frame}`);
  });
});
