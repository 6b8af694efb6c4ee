import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PeakFolder, peaksFromRawS8, waveformJson } from '../src/media/waveform.ts';
import { makeTempDir } from './fixtures.ts';

const s8 = (...values: number[]) => Uint8Array.from(values.map((v) => v & 0xff));

describe('PeakFolder', () => {
  it('folds signed 8-bit samples into min/max pairs, whatever the chunking', () => {
    const samples = [0, 5, -3, 127, -128, 1, 2, -1, 64];
    const whole = new PeakFolder(3);
    whole.push(s8(...samples));
    const expected = [-3, 5, -128, 127, -1, 64];
    assert.deepEqual(whole.finish(), expected);
    const chunked = new PeakFolder(3);
    for (const sample of samples) chunked.push(s8(sample));
    assert.deepEqual(chunked.finish(), expected);
  });

  it('keeps a last partial window and yields nothing for no samples', () => {
    const folder = new PeakFolder(4);
    folder.push(s8(1, 2, 3, 4, -7));
    assert.deepEqual(folder.finish(), [1, 4, -7, -7]);
    assert.deepEqual(new PeakFolder(4).finish(), []);
    assert.throws(() => new PeakFolder(0), RangeError);
  });
});

describe('waveform JSON', () => {
  it('is audiowaveform format version 2, 8-bit, one channel', () => {
    assert.deepEqual(waveformJson([-1, 1, -2, 2], 8000, 80), {
      version: 2,
      channels: 1,
      sample_rate: 8000,
      samples_per_pixel: 80,
      bits: 8,
      length: 2,
      data: [-1, 1, -2, 2],
    });
  });

  it('streams a raw s8 file into peaks', async (t) => {
    const dir = await makeTempDir(t);
    const path = join(dir, 'a.s8');
    // 1000 windows of 80 samples, window i peaking at ±(i % 100).
    const bytes = new Uint8Array(80_000);
    for (let i = 0; i < bytes.length; i++) {
      const window = Math.floor(i / 80);
      bytes[i] = (i % 2 === 0 ? window % 100 : -(window % 100)) & 0xff;
    }
    await writeFile(path, bytes);
    const waveform = await peaksFromRawS8(path);
    assert.equal(waveform.length, 1000);
    assert.deepEqual(waveform.data.slice(0, 6), [0, 0, -1, 1, -2, 2]);
    assert.deepEqual(waveform.data.slice(-2), [-99, 99]);
  });
});
