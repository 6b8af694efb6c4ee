/**
 * Technical metadata of generated media, read by the real MediaInfo and ffprobe.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAppError } from '@mediavault/core/errors';
import { probeTechnicalMetadata, readTechnicalReports } from '../src/qc/probe-technical.ts';
import { technicalMetadata } from '../src/qc/technical-metadata.ts';
import { makeTempDir, truncatedCopy } from './fixtures.ts';
import { generateQcClip, qcClips, type QcClipName } from './fixtures-qc.ts';

describe('probeTechnicalMetadata on generated media', () => {
  let dir = '';
  const clips = new Map<QcClipName, string>();
  // The suite's own after() owns the cleanup; registering it from inside before() would run it too early.
  const cleanups: (() => unknown)[] = [];
  after(() => Promise.all(cleanups.map((cleanup) => cleanup())));
  before(async () => {
    dir = await makeTempDir({ after: (cleanup) => cleanups.push(cleanup) }, 'mediavault-qc-');
    // Generated concurrently: the whole file stays within a few seconds.
    await Promise.all(
      (Object.keys(qcClips) as QcClipName[]).map(async (name) => clips.set(name, await generateQcClip(dir, name))),
    );
  });
  const clip = (name: QcClipName) => clips.get(name)!;

  it('ProRes 422 HQ: 10-bit 4:2:2, HQ profile, 24-bit PCM, tmcd start 01:00:00:00', async () => {
    const meta = await probeTechnicalMetadata(clip('prores-hq.mov'));
    assert.equal(meta.format.container, 'MPEG-4');
    assert.equal(meta.format.containerProfile, 'QuickTime');
    assert.equal(meta.format.startTimecode, '01:00:00:00');
    assert.equal(meta.format.timecodeSource, 'tmcd');
    assert.ok(Math.abs((meta.format.durationSeconds ?? 0) - 1) < 0.05, `duration ${meta.format.durationSeconds}`);
    assert.ok((meta.format.sizeBytes ?? 0) > 0);
    assert.ok((meta.format.overallBitRate ?? 0) > 0);
    assert.equal(meta.video.length, 1);
    const [video] = meta.video;
    assert.equal(video!.codec, 'ProRes');
    assert.equal(video!.codecId, 'apch');
    assert.equal(video!.codecProfile, '422 HQ');
    // MediaInfo 23.04 states no bit depth for ProRes: this one comes from ffprobe.
    assert.equal(video!.bitDepth, 10);
    assert.equal(video!.chroma, '4:2:2');
    assert.equal(video!.colorSpace, 'YUV');
    assert.equal(video!.scanType, 'progressive');
    assert.deepEqual(video!.frameRate, { num: 25, den: 1 });
    assert.equal(video!.frameRateMode, 'CFR');
    assert.equal(video!.width, 320);
    assert.equal(video!.height, 180);
    assert.deepEqual(video!.displayAspectRatio, { num: 16, den: 9 });
    assert.deepEqual(video!.pixelAspectRatio, { num: 1, den: 1 });
    assert.equal(video!.rotation, 0);
    assert.deepEqual(meta.audio, [
      {
        trackIndex: 0,
        streamIndex: 1,
        codec: 'PCM',
        codecId: 'in24',
        channels: 1,
        channelLayout: 'mono',
        sampleRate: 48000,
        bitDepth: 24,
      },
    ]);
    assert.deepEqual(meta.audioLayout, { tracks: 1, totalChannels: 1, description: '1 × mono' });
  });

  it('H.264 flagged 1080i: interlaced, top field first, 29.97 as 30000/1001', async () => {
    const meta = await probeTechnicalMetadata(clip('interlaced-1080i.mp4'));
    const [video] = meta.video;
    assert.equal(video!.codec, 'AVC');
    assert.equal(video!.scanType, 'interlaced');
    assert.equal(video!.scanOrder, 'top');
    assert.equal(video!.interlaceCoding, 'mbaff');
    assert.deepEqual(video!.frameRate, { num: 30000, den: 1001 });
    assert.equal(video!.frameRateMode, 'CFR');
    assert.equal(video!.width, 1920);
    assert.equal(video!.height, 1080);
    assert.equal(video!.bitDepth, 8);
    assert.equal(video!.chroma, '4:2:0');
    assert.deepEqual(meta.audio, []);
    assert.deepEqual(meta.audioLayout, { tracks: 0, totalChannels: 0, description: 'none' });
    assert.equal(meta.format.startTimecode, null);
    assert.equal(meta.format.timecodeSource, null);
  });

  it('29.97 drop-frame tmcd: 01:00:00;00', async () => {
    const meta = await probeTechnicalMetadata(clip('ntsc-drop-frame.mov'));
    assert.equal(meta.format.startTimecode, '01:00:00;00');
    assert.equal(meta.format.timecodeSource, 'tmcd');
    assert.deepEqual(meta.video[0]!.frameRate, { num: 30000, den: 1001 });
  });

  it('a file with a gap in its timestamps is VFR', async () => {
    const meta = await probeTechnicalMetadata(clip('variable-rate.mp4'));
    assert.equal(meta.video[0]!.frameRateMode, 'VFR');
    // The average over the file, not the 25 fps the frames were made at.
    const rate = meta.video[0]!.frameRate!;
    assert.ok(rate.num / rate.den < 24, `average rate ${rate.num}/${rate.den}`);
  });

  it('four mono PCM tracks in MOV: "4 × mono"', async () => {
    const meta = await probeTechnicalMetadata(clip('four-mono.mov'));
    assert.deepEqual(meta.audioLayout, { tracks: 4, totalChannels: 4, description: '4 × mono' });
    assert.deepEqual(
      meta.audio.map((a) => [a.trackIndex, a.streamIndex, a.channels, a.bitDepth, a.sampleRate]),
      [
        [0, 1, 1, 24, 48000],
        [1, 2, 1, 24, 48000],
        [2, 3, 1, 24, 48000],
        [3, 4, 1, 24, 48000],
      ],
    );
  });

  it('MXF OP-1a: two mono tracks and the material-package timecode', async () => {
    const meta = await probeTechnicalMetadata(clip('two-mono.mxf'));
    assert.equal(meta.format.container, 'MXF');
    assert.equal(meta.format.containerProfile, 'OP-1a');
    assert.equal(meta.format.startTimecode, '10:00:00:00');
    assert.equal(meta.format.timecodeSource, 'mxf');
    assert.equal(meta.video[0]!.codec, 'MPEG Video');
    assert.equal(meta.video[0]!.chroma, '4:2:2');
    assert.equal(meta.audioLayout.description, '2 × mono');
  });

  it('ffprobe alone gives the same essentials when MediaInfo has nothing to say', async () => {
    const reports = await readTechnicalReports(clip('prores-hq.mov'));
    const withoutMediainfo = technicalMetadata(null, reports.ffprobe);
    const video = withoutMediainfo.video[0]!;
    assert.equal(video.codec, 'prores');
    assert.equal(video.codecProfile, 'HQ');
    assert.equal(video.bitDepth, 10);
    assert.equal(video.chroma, '4:2:2');
    assert.deepEqual(video.frameRate, { num: 25, den: 1 });
    assert.equal(withoutMediainfo.format.startTimecode, '01:00:00:00');
    assert.equal(withoutMediainfo.format.timecodeSource, 'tmcd');
    assert.equal(withoutMediainfo.audioLayout.description, '1 × mono');
  });

  it('a truncated or non-media file is a clear unprocessable error', async () => {
    const notMedia = join(dir, 'notes.txt');
    await writeFile(notMedia, 'not a movie\n');
    await assert.rejects(
      probeTechnicalMetadata(notMedia),
      (err) => isAppError(err) && err.code === 'unprocessable' && /not readable as media/.test(err.message),
    );
    const truncated = await truncatedCopy(clip('prores-hq.mov'), join(dir, 'truncated.mov'), 0.3);
    await assert.rejects(probeTechnicalMetadata(truncated), (err) => isAppError(err) && err.code === 'unprocessable');
  });
});
