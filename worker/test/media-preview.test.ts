import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chooseVideoEncoder } from '../src/media/ffmpeg-args.ts';
import { buildPreviewSet, failureReason, type PreviewSet } from '../src/media/preview-build.ts';
import { probeFile } from '../src/media/probe.ts';
import type { FfprobeStream } from '../src/media/ffprobe-report.ts';
import { MediaToolError, runFfmpeg, runFfprobe } from '../src/media/run.ts';
import { generateClip, generateStill, makeTempDir, truncatedCopy } from './fixtures.ts';

// ultrafast and 1 s segments keep each build well under a second on two cores.
const fast = { encoder: chooseVideoEncoder({ nvenc: false }, { x264Preset: 'ultrafast' }), segmentSeconds: 1 };

/** Top-level ISO-BMFF box types in file order (size 1 = 64-bit size follows, 0 = to end of file). */
function topLevelBoxes(bytes: Buffer): string[] {
  const types: string[] = [];
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    let size = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (size === 1) size = Number(bytes.readBigUInt64BE(offset + 8));
    if (size === 0) size = bytes.length - offset;
    types.push(type);
    if (size < 8) break;
    offset += size;
  }
  return types;
}

/** The variants of a master playlist in the order listed: the URI line after each #EXT-X-STREAM-INF. */
function variantUris(master: string): string[] {
  const lines = master.split('\n');
  return lines.flatMap((line, i) => (line.startsWith('#EXT-X-STREAM-INF:') ? [lines[i + 1]!] : []));
}

function segmentDurations(playlist: string): string[] {
  return [...playlist.matchAll(/^#EXTINF:([\d.]+),/gm)].map((m) => m[1]!);
}

/** MD5 of a file's video packets, copied without decoding: equal only for the same encode. */
async function videoPacketsMd5(input: string, dir: string, name: string): Promise<string> {
  const path = join(dir, `${name}.md5`);
  await runFfmpeg([
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-y',
    '-i',
    `file:${input}`,
    '-map',
    '0:v:0',
    '-c',
    'copy',
    '-f',
    'md5',
    path,
  ]);
  return (await readFile(path, 'utf8')).trim();
}

async function streamsOf(path: string): Promise<FfprobeStream[]> {
  return (await runFfprobe(path)).streams;
}

describe('buildPreviewSet on a 3 s 1280x720 25 fps clip with a 1 kHz tone', () => {
  let out: string;
  let set: PreviewSet;
  const progress: number[] = [];

  // The suite's own after() owns the cleanup; registering it from inside before() would run it too early.
  const cleanups: (() => unknown)[] = [];
  after(() => Promise.all(cleanups.map((cleanup) => cleanup())));

  before(async () => {
    const dir = await makeTempDir({ after: (cleanup) => cleanups.push(cleanup) });
    const source = await generateClip(dir, { width: 1280, height: 720, fps: 25, seconds: 3 });
    out = join(dir, 'preview');
    set = await buildPreviewSet(source, out, { ...fast, onProgress: (fraction) => progress.push(fraction) });
  });

  it('returns the summary, encoder record, renditions and every file written', async () => {
    assert.equal(set.summary.video?.width, 1280);
    assert.equal(set.summary.audio.length, 1);
    assert.equal(set.encoder.name, 'libx264');
    assert.equal(set.encoder.settings.video?.preset, 'ultrafast');
    assert.equal(set.encoder.settings.video?.gopFrames, 25);
    assert.deepEqual(
      set.renditions.map((r) => `${r.name} ${r.width}x${r.height}`),
      ['720p 1280x720', '360p 640x360'],
    );
    const onDisk = (await readdir(out, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(out.length + 1))
      .sort();
    assert.deepEqual(set.files, onDisk);
    for (const expected of [
      'hls/master.m3u8',
      'hls/720p/index.m3u8',
      'hls/360p/index.m3u8',
      'hls/audio/index.m3u8',
      'preview.mp4',
      'poster.jpg',
      'thumbs/sprite.jpg',
      'thumbs/sprite.vtt',
      'waveform.json',
    ]) {
      assert.ok(set.files.includes(expected), `${expected} listed`);
    }
    assert.ok(!onDisk.includes('waveform.s8'), 'the raw waveform samples are removed');
    assert.deepEqual(set.sprites, { image: 'thumbs/sprite.jpg', vtt: 'thumbs/sprite.vtt' });
    assert.equal(set.waveform, 'waveform.json');
    assert.deepEqual(set.outputsDropped, []);
    assert.equal(progress.at(-1), 1, 'progress ends at 1');
    assert.ok(progress.every((p) => p >= 0 && p <= 1));
  });

  it('writes a master playlist with the 720p and 360p renditions sharing one AAC group', async () => {
    const master = await readFile(join(out, 'hls/master.m3u8'), 'utf8');
    // Players that start on the first variant (Safari, AVPlayer) must start with a picture.
    assert.deepEqual(variantUris(master), ['720p/index.m3u8', '360p/index.m3u8', 'audio/index.m3u8']);
    assert.match(
      master,
      /#EXT-X-STREAM-INF:BANDWIDTH=\d+,RESOLUTION=1280x720,CODECS="avc1\.[0-9a-f]+,mp4a\.40\.2",AUDIO="group_audio"\n720p\/index\.m3u8/,
    );
    assert.match(
      master,
      /#EXT-X-STREAM-INF:BANDWIDTH=\d+,RESOLUTION=640x360,CODECS="avc1\.[0-9a-f]+,mp4a\.40\.2",AUDIO="group_audio"\n360p\/index\.m3u8/,
    );
    assert.match(master, /#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="group_audio".*URI="audio\/index\.m3u8"/);
  });

  it('cuts fMP4 segments at the same instants in every rendition (aligned keyframes)', async () => {
    const hd = await readFile(join(out, 'hls/720p/index.m3u8'), 'utf8');
    const sd = await readFile(join(out, 'hls/360p/index.m3u8'), 'utf8');
    for (const playlist of [hd, sd]) {
      assert.match(playlist, /#EXT-X-PLAYLIST-TYPE:VOD/);
      assert.match(playlist, /#EXT-X-INDEPENDENT-SEGMENTS/);
      assert.match(playlist, /#EXT-X-MAP:URI="init[^"]*\.mp4"/);
      assert.match(playlist, /#EXT-X-ENDLIST/);
    }
    assert.deepEqual(segmentDurations(hd), ['1.000000', '1.000000', '1.000000']);
    assert.deepEqual(segmentDurations(sd), segmentDurations(hd));
    assert.ok(set.files.includes('hls/720p/seg_00000.m4s'));
    assert.ok(set.files.includes('hls/360p/seg_00002.m4s'));
  });

  it('measures the loudness of the mono -18 dBFS tone in the same run (-21.1 LUFS, one channel)', () => {
    assert.ok(set.loudness, 'loudness measured');
    assert.ok(Math.abs(set.loudness.integrated - -21.1) <= 0.1, `integrated ${set.loudness.integrated}`);
    // A 3 s clip has too few 3 s short-term windows for a meaningful range; only its form is checked.
    assert.ok(Number.isFinite(set.loudness.lra) && set.loudness.lra >= 0);
    // The source is AAC-coded: its onset overshoots the -18.1 dBFS tone by about a decibel.
    assert.ok(set.loudness.truePeak >= -18.5 && set.loudness.truePeak <= -16.5, `true peak ${set.loudness.truePeak}`);
  });

  it('writes a sprite sheet of 160x90 tiles, one a second, and its WebVTT index', async () => {
    const streams = await streamsOf(join(out, 'thumbs/sprite.jpg'));
    assert.deepEqual(
      streams.map((s) => `${s.codec_name} ${s.width}x${s.height}`),
      ['mjpeg 480x90'],
    );
    const vtt = await readFile(join(out, 'thumbs/sprite.vtt'), 'utf8');
    assert.equal(
      vtt,
      'WEBVTT\n\n' +
        '00:00:00.000 --> 00:00:01.000\nsprite.jpg#xywh=0,0,160,90\n\n' +
        '00:00:01.000 --> 00:00:02.000\nsprite.jpg#xywh=160,0,160,90\n\n' +
        '00:00:02.000 --> 00:00:03.000\nsprite.jpg#xywh=320,0,160,90\n',
    );
  });

  it('writes waveform peaks in the audiowaveform format', async () => {
    const waveform = JSON.parse(await readFile(join(out, 'waveform.json'), 'utf8'));
    assert.deepEqual(
      { ...waveform, length: undefined, data: undefined },
      {
        version: 2,
        channels: 1,
        sample_rate: 8000,
        samples_per_pixel: 80,
        bits: 8,
        length: undefined,
        data: undefined,
      },
    );
    // 3 s at 100 pixels a second, plus whatever the AAC encoder padded at the end.
    assert.ok(waveform.length >= 300 && waveform.length <= 302, `length ${waveform.length}`);
    assert.equal(waveform.data.length, waveform.length * 2);
    // The 1/8-amplitude sine peaks at 16 of 128 (the encoded AAC may ring by a step).
    assert.ok(
      waveform.data
        .slice(20, -20)
        .every((v: number, i: number) => (i % 2 === 0 ? v >= -17 && v <= -15 : v >= 15 && v <= 17)),
    );
  });

  it('remuxes preview.mp4 from the top rung instead of encoding it again', async () => {
    assert.equal(
      await videoPacketsMd5(join(out, 'preview.mp4'), out, 'mp4'),
      await videoPacketsMd5(join(out, 'hls/720p/index.m3u8'), out, 'hls'),
    );
  });

  it('writes a faststart preview.mp4 with H.264 video and AAC audio', async () => {
    const boxes = topLevelBoxes(await readFile(join(out, 'preview.mp4')));
    assert.ok(boxes.includes('moov') && boxes.includes('mdat'), boxes.join(','));
    assert.ok(boxes.indexOf('moov') < boxes.indexOf('mdat'), `moov before mdat: ${boxes.join(',')}`);
    const streams = await streamsOf(join(out, 'preview.mp4'));
    assert.deepEqual(
      streams.map((s) => `${s.codec_type}:${s.codec_name}${s.width ? ` ${s.width}x${s.height}` : ''}`),
      ['video:h264 1280x720', 'audio:aac'],
    );
    const summary = await probeFile(join(out, 'preview.mp4'));
    assert.ok(Math.abs((summary.durationSeconds ?? 0) - 3) < 0.2, `duration ${summary.durationSeconds}`);
  });

  it('writes a poster JPEG that decodes', async () => {
    const streams = await streamsOf(join(out, 'poster.jpg'));
    assert.deepEqual(
      streams.map((s) => `${s.codec_name} ${s.width}x${s.height}`),
      ['mjpeg 1280x720'],
    );
    await runFfmpeg([
      '-hide_banner',
      '-nostdin',
      '-v',
      'error',
      '-xerror',
      '-i',
      join(out, 'poster.jpg'),
      '-f',
      'null',
      '-',
    ]);
  });
});

describe('buildPreviewSet edge cases', () => {
  it('does not upscale a 320x240 source', async (t) => {
    const dir = await makeTempDir(t);
    const source = await generateClip(dir, { width: 320, height: 240, seconds: 2 });
    // A leftover of an earlier, longer attempt in the same directory must not be listed.
    await mkdir(join(dir, 'out/hls/240p'), { recursive: true });
    await writeFile(join(dir, 'out/hls/240p/seg_00099.m4s'), 'stale');
    const set = await buildPreviewSet(source, join(dir, 'out'), fast);
    assert.deepEqual(
      set.renditions.map((r) => `${r.name} ${r.width}x${r.height}`),
      ['240p 320x240'],
    );
    assert.deepEqual(set.files, [
      'hls/240p/index.m3u8',
      'hls/240p/init_0.mp4',
      'hls/240p/seg_00000.m4s',
      'hls/240p/seg_00001.m4s',
      'hls/audio/index.m3u8',
      'hls/audio/init_1.mp4',
      'hls/audio/seg_00000.m4s',
      'hls/audio/seg_00001.m4s',
      'hls/audio/seg_00002.m4s',
      'hls/master.m3u8',
      'poster.jpg',
      'preview.mp4',
      'thumbs/sprite.jpg',
      'thumbs/sprite.vtt',
      'waveform.json',
    ]);
    const master = await readFile(join(dir, 'out/hls/master.m3u8'), 'utf8');
    assert.match(master, /RESOLUTION=320x240/);
    assert.doesNotMatch(master, /RESOLUTION=(640x360|1280x720)/);
    const video = (await streamsOf(join(dir, 'out/preview.mp4'))).find((s) => s.codec_type === 'video');
    assert.equal(`${video?.width}x${video?.height}`, '320x240');
    const poster = await streamsOf(join(dir, 'out/poster.jpg'));
    assert.equal(`${poster[0]?.width}x${poster[0]?.height}`, '320x240');
  });

  it('builds a video-only source without any audio output', async (t) => {
    const dir = await makeTempDir(t);
    const source = await generateClip(dir, { width: 640, height: 360, seconds: 2, audio: false });
    const set = await buildPreviewSet(source, join(dir, 'out'), fast);
    assert.equal(set.encoder.settings.audio, null);
    assert.equal(set.loudness, null);
    assert.equal(set.waveform, undefined);
    assert.ok(!set.files.includes('waveform.json'));
    assert.deepEqual(
      set.renditions.map((r) => r.name),
      ['360p'],
    );
    assert.ok(!set.files.some((f) => f.startsWith('hls/audio/')), set.files.join(','));
    const master = await readFile(join(dir, 'out/hls/master.m3u8'), 'utf8');
    assert.doesNotMatch(master, /TYPE=AUDIO|mp4a/);
    assert.match(master, /RESOLUTION=640x360/);
    assert.deepEqual(
      (await streamsOf(join(dir, 'out/preview.mp4'))).map((s) => s.codec_type),
      ['video'],
    );
  });

  it('refuses a truncated upload (moov never arrived) clearly, writing nothing', async (t) => {
    const dir = await makeTempDir(t);
    const source = await generateClip(dir, { width: 320, height: 240, seconds: 2 });
    const truncated = await truncatedCopy(source, join(dir, 'truncated.mp4'), 0.5);
    await assert.rejects(buildPreviewSet(truncated, join(dir, 'out'), fast), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'unprocessable');
      assert.match(err.message, /not readable as media: .*moov atom not found/);
      return true;
    });
    assert.deepEqual(await readdir(dir), ['clip.mp4', 'truncated.mp4'], 'no output directory was created');
  });

  it('refuses a faststart file cut in half, whose header promises more than it holds', async (t) => {
    const dir = await makeTempDir(t);
    const source = await generateClip(dir, { width: 320, height: 240, seconds: 3, faststart: true });
    const truncated = await truncatedCopy(source, join(dir, 'truncated.mp4'), 0.5);
    await assert.rejects(buildPreviewSet(truncated, join(dir, 'out'), fast), {
      code: 'unprocessable',
      message: /truncated or corrupt: only [\d.]+ s of 3\.00 s could be decoded/,
    });
  });

  it('leaves out what backpressure asks it to skip and says so', async (t) => {
    const dir = await makeTempDir(t);
    const source = await generateClip(dir, { width: 640, height: 360, seconds: 2 });
    const set = await buildPreviewSet(source, join(dir, 'out'), {
      ...fast,
      skip: ['sprites', 'waveform', 'mp4', 'renditions-above-720'],
    });
    assert.deepEqual(set.outputsDropped, ['sprites', 'waveform', 'mp4']);
    assert.equal(set.sprites, undefined);
    assert.equal(set.waveform, undefined);
    assert.ok(set.loudness, 'loudness is metadata and always measured');
    assert.ok(set.files.includes('poster.jpg') && set.files.includes('hls/360p/index.m3u8'));
    assert.ok(
      !set.files.some((f) => f === 'preview.mp4' || f.startsWith('thumbs/') || f === 'waveform.json'),
      set.files.join(','),
    );
    assert.ok(!(await readdir(join(dir, 'out'))).includes('preview.mp4'));
  });
});

describe('buildPreviewSet on sources that break naive pipelines', () => {
  it('turns 10-bit 4:2:2 ProRes HQ into 8-bit 4:2:0 H.264 previews', async (t) => {
    const dir = await makeTempDir(t);
    const source = await generateClip(dir, {
      name: 'master.mov',
      videoCodec: 'prores',
      audioCodec: 'pcm',
      width: 320,
      height: 180,
      seconds: 2,
    });
    const set = await buildPreviewSet(source, join(dir, 'out'), fast);
    assert.equal(set.summary.video?.pixFmt, 'yuv422p10le');
    for (const file of ['preview.mp4', 'hls/180p/index.m3u8']) {
      const video = (await streamsOf(join(dir, 'out', file))).find((s) => s.codec_type === 'video');
      assert.deepEqual([video?.codec_name, video?.pix_fmt], ['h264', 'yuv420p'], file);
      // -profile:v high caps x264 at 8-bit 4:2:0 (ultrafast here even stays Constrained Baseline).
      assert.doesNotMatch(video?.profile ?? '', /10|4:2:2|4:4:4/, file);
    }
  });

  it('makes even sizes from odd dimensions', async (t) => {
    const dir = await makeTempDir(t);
    const source = await generateClip(dir, {
      name: 'odd.mkv',
      videoCodec: 'ffv1',
      width: 321,
      height: 241,
      seconds: 2,
      audio: false,
    });
    const set = await buildPreviewSet(source, join(dir, 'out'), fast);
    assert.deepEqual(
      set.renditions.map((r) => `${r.name} ${r.width}x${r.height}`),
      ['240p 320x240'],
    );
    const poster = await streamsOf(join(dir, 'out/poster.jpg'));
    assert.equal(`${poster[0]?.width}x${poster[0]?.height}`, '320x240');
  });

  it('honours display rotation: a 90° 320x180 clip becomes portrait previews', async (t) => {
    const dir = await makeTempDir(t);
    const source = await generateClip(dir, { name: 'phone.mp4', width: 320, height: 180, seconds: 2, rotation: 90 });
    const set = await buildPreviewSet(source, join(dir, 'out'), fast);
    assert.ok([90, 270].includes(set.summary.video?.rotation ?? 0), `rotation ${set.summary.video?.rotation}`);
    assert.deepEqual(
      set.renditions.map((r) => `${r.width}x${r.height}`),
      ['180x320'],
    );
    const video = (await streamsOf(join(dir, 'out/preview.mp4'))).find((s) => s.codec_type === 'video');
    assert.equal(`${video?.width}x${video?.height}`, '180x320');
    const poster = await streamsOf(join(dir, 'out/poster.jpg'));
    assert.equal(`${poster[0]?.width}x${poster[0]?.height}`, '180x320');
    assert.match(await readFile(join(dir, 'out/thumbs/sprite.vtt'), 'utf8'), /sprite\.jpg#xywh=0,0,160,284/);
  });

  it('keeps segments aligned across renditions for a variable-frame-rate source', async (t) => {
    const dir = await makeTempDir(t);
    const source = await generateClip(dir, {
      name: 'vfr.mp4',
      width: 1280,
      height: 720,
      seconds: 3,
      variableFrameRate: true,
      audio: false,
    });
    const probe = await runFfprobe(source);
    assert.notEqual(probe.streams[0]?.avg_frame_rate, probe.streams[0]?.r_frame_rate, 'the fixture is variable-rate');
    const set = await buildPreviewSet(source, join(dir, 'out'), fast);
    const hd = await readFile(join(dir, 'out/hls/720p/index.m3u8'), 'utf8');
    const sd = await readFile(join(dir, 'out/hls/360p/index.m3u8'), 'utf8');
    assert.deepEqual(segmentDurations(hd), segmentDurations(sd));
    assert.equal(segmentDurations(hd).length, 3);
    assert.equal(set.sprites?.image, 'thumbs/sprite.jpg');
  });

  for (const name of ['still.png', 'still.jpg', 'still.tif']) {
    it(`makes only a poster from a still image (${name})`, async (t) => {
      const dir = await makeTempDir(t);
      const source = await generateStill(dir, name, 320, 240);
      const set = await buildPreviewSet(source, join(dir, 'out'), fast);
      assert.deepEqual(set.files, ['poster.jpg']);
      assert.deepEqual(set.renditions, []);
      assert.equal(set.loudness, null);
      assert.equal(set.sprites, undefined);
      assert.deepEqual(set.encoder.settings, { video: null, audio: null });
      const poster = await streamsOf(join(dir, 'out/poster.jpg'));
      assert.deepEqual(
        poster.map((s) => `${s.codec_name} ${s.width}x${s.height}`),
        ['mjpeg 320x240'],
      );
    });
  }
});

describe('failureReason', () => {
  it('picks the tagged errors out of an info-level log instead of the encoder statistics after them', () => {
    const log = [
      "[hls @ 0x55d1c5a0e6c0] [info] Opening 'out/hls/720p/seg_00001.m4s' for writing",
      '[hls @ 0x55d1c5a0e6c0] [error] Failed to open file out/hls/720p/seg_00002.m4s',
      '[error] Error writing trailer of out/hls/%v/index.m3u8: Permission denied',
      '[libx264 @ 0x55a45c9dcb00] [info] frame I:4     Avg QP:21.46  size: 16040',
      '[aac @ 0x55a45c9d7dc0] [info] Qavg: 53189.840',
    ].join('\n');
    const err = new MediaToolError('ffmpeg', 1, null, log);
    assert.equal(
      failureReason(log, err),
      'hls: Failed to open file out/hls/720p/seg_00002.m4s; Error writing trailer of out/hls/%v/index.m3u8: Permission denied',
    );
    // Without level tags (a warning-level log) the last lines speak for themselves.
    const plain = 'moov atom not found\nfile:/in/a.mp4: Invalid data found when processing input';
    assert.equal(
      failureReason(plain, new MediaToolError('ffmpeg', 1, null, plain)),
      'moov atom not found; file:/in/a.mp4: Invalid data found when processing input',
    );
  });
});
