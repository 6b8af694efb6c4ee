import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chooseVideoEncoder } from '../src/media/ffmpeg-args.ts';
import { parseEbur128Summary } from '../src/media/loudness.ts';
import { buildPreviewSet } from '../src/media/preview-build.ts';
import { generateClip, generateTone, makeTempDir } from './fixtures.ts';

const fast = { encoder: chooseVideoEncoder({ nvenc: false }, { x264Preset: 'ultrafast' }), segmentSeconds: 1 };

/**
 * Captured from Debian's ffmpeg 5.1 (`-loglevel level+info`) on two mono -23 dBFS 1 kHz tracks
 * joined to stereo. ffmpeg configures the graph twice; the first, empty graph logs a summary too.
 */
const capturedLog = `[info] Input #0, mxf, from 'm.mxf':
[info]   Metadata:
[info]     operational_pattern_ul: 060e2b34.04010101.0d010201.01010900
[Parsed_ebur128_1 @ 0x562d09c30b80] [info] Summary:

  Integrated loudness:
    I:         -70.0 LUFS
    Threshold:   0.0 LUFS

  Loudness range:
    LRA:         0.0 LU
    Threshold:   0.0 LUFS
    LRA low:     0.0 LUFS
    LRA high:    0.0 LUFS

  True peak:
    Peak:       -inf dBFS
[info] Stream mapping:
[info]   Stream #0:1 (pcm_s24le) -> join
[info] Press [q] to stop, [?] for help
[hls @ 0x55d1c5a0e6c0] [info] Opening 'out/hls/audio/seg_00001.m4s' for writing
[Parsed_ebur128_1 @ 0x562d09da17c0] [info] Summary:

  Integrated loudness:
    I:         -23.0 LUFS
    Threshold: -33.0 LUFS

  Loudness range:
    LRA:         1.7 LU
    Threshold: -43.1 LUFS
    LRA low:   -24.1 LUFS
    LRA high:  -22.4 LUFS

  True peak:
    Peak:       -0.3 dBFS
[libx264 @ 0x55a45c9dcb00] [info] frame I:4     Avg QP:21.46  size: 16040
[aac @ 0x55a45c9d7dc0] [info] Qavg: 53189.840
`;

describe('parseEbur128Summary', () => {
  it('reads integrated loudness, loudness range and true peak from the last summary', () => {
    assert.deepEqual(parseEbur128Summary(capturedLog), { integrated: -23, lra: 1.7, truePeak: -0.3 });
  });

  it('reads digital silence as the -70 LUFS gate and a -inf peak', () => {
    const silence = capturedLog.slice(0, capturedLog.indexOf('[info] Stream mapping'));
    assert.deepEqual(parseEbur128Summary(silence), { integrated: -70, lra: 0, truePeak: -Infinity });
  });

  it('answers null for a log without a complete summary', () => {
    assert.equal(parseEbur128Summary('[info] Stream mapping:\n'), null);
    assert.equal(parseEbur128Summary(capturedLog.slice(0, capturedLog.lastIndexOf('True peak:'))), null);
  });
});

/** EBU Tech 3341 accuracy: integrated ±0.1 LU; true peak +0.2/−0.4 dB of the tone's peak. */
function assertTone(loudness: { integrated: number; truePeak: number } | null | undefined, dbfs: number): void {
  assert.ok(loudness, 'loudness measured');
  assert.ok(
    Math.abs(loudness.integrated - dbfs) <= 0.1,
    `integrated ${loudness.integrated} LUFS for a ${dbfs} dBFS tone`,
  );
  assert.ok(
    loudness.truePeak - dbfs <= 0.2 && loudness.truePeak - dbfs >= -0.4,
    `true peak ${loudness.truePeak} dBTP for ${dbfs} dBFS`,
  );
}

describe('loudness measured in the preview run (audio-only sources)', () => {
  for (const dbfs of [-23, -33]) {
    it(`measures a stereo 1 kHz sine at ${dbfs} dBFS as ${dbfs} LUFS, and builds waveform and audio HLS`, async (t) => {
      const dir = await makeTempDir(t);
      const source = await generateTone(dir, { dbfs, seconds: 3 });
      const set = await buildPreviewSet(source, join(dir, 'out'), fast);
      assertTone(set.loudness, dbfs);
      assert.equal(set.waveform, 'waveform.json');
      assert.equal(set.sprites, undefined);
      assert.deepEqual(set.renditions, []);
      assert.ok(!set.files.includes('poster.jpg'), 'no poster for audio');
      assert.ok(set.files.includes('hls/audio/index.m3u8') && set.files.includes('preview.mp4'), set.files.join(','));
      assert.deepEqual(set.encoder.settings, {
        video: null,
        audio: { codec: 'aac', bitrateKbps: 128, channels: 2, sampleRate: 48000 },
      });
      const master = await readFile(join(dir, 'out/hls/master.m3u8'), 'utf8');
      assert.match(master, /#EXT-X-STREAM-INF:BANDWIDTH=\d+,CODECS="mp4a\.40\.2"\naudio\/index\.m3u8/);
      const peaks = JSON.parse(await readFile(join(dir, 'out/waveform.json'), 'utf8'));
      // 3 s at 8 kHz, 80 samples a pixel: 300 pixels; a steady tone peaks at the same level throughout.
      assert.equal(peaks.length, 300);
      const expected = Math.round(128 * 10 ** (dbfs / 20));
      const maxima = peaks.data.filter((_: number, i: number) => i % 2 === 1);
      assert.ok(
        maxima.slice(5, -5).every((v: number) => Math.abs(v - expected) <= 1),
        `peaks near ${expected}: ${maxima.slice(0, 8)}`,
      );
    });
  }

  it('joins two mono tracks (as MXF carries them) before measuring: two -23 dBFS tracks are -23 LUFS, not -26', async (t) => {
    const dir = await makeTempDir(t);
    const source = await generateClip(dir, {
      name: 'master.mxf',
      videoCodec: 'mpeg2',
      width: 320,
      height: 180,
      seconds: 2,
      audioCodec: 'pcm',
      audioTracks: 2,
      toneDbfs: -23,
    });
    const set = await buildPreviewSet(source, join(dir, 'out'), fast);
    assert.equal(set.summary.audio.length, 2);
    assertTone(set.loudness, -23);
    assert.ok(set.files.includes('hls/audio/index.m3u8'));
  });
});
