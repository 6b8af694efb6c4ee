import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parseFfprobeReport } from '../src/media/ffprobe-report.ts';
import { probeFile, summarizeProbe } from '../src/media/probe.ts';
import { generateClip, makeTempDir } from './fixtures.ts';

// Recorded with Debian's ffprobe 5.1 (`-show_format -show_streams -of json`), trimmed to the
// fields the summary reads plus a few it must ignore.

/** A recording read the way runFfprobe reads ffprobe's output, then summarized. */
const summarize = (recording: unknown) => summarizeProbe(parseFfprobeReport(recording));

/** PAL SD interlaced MPEG-2 in MXF with two mono PCM tracks and a start timecode. */
const palMxf = {
  streams: [
    {
      index: 0,
      codec_name: 'mpeg2video',
      codec_type: 'video',
      width: 720,
      height: 576,
      sample_aspect_ratio: '16:15',
      pix_fmt: 'yuv420p',
      field_order: 'tt',
      r_frame_rate: '25/1',
      avg_frame_rate: '25/1',
      duration: '1.000000',
      disposition: { default: 0, attached_pic: 0 },
      side_data_list: [{ side_data_type: 'CPB properties', max_bitrate: 0, buffer_size: 1425408 }],
    },
    {
      index: 1,
      codec_name: 'pcm_s24le',
      codec_type: 'audio',
      sample_rate: '48000',
      channels: 1,
      r_frame_rate: '0/0',
      avg_frame_rate: '0/0',
      duration: '1.000000',
      disposition: { default: 0, attached_pic: 0 },
    },
    {
      index: 2,
      codec_name: 'pcm_s24le',
      codec_type: 'audio',
      sample_rate: '48000',
      channels: 1,
      r_frame_rate: '0/0',
      avg_frame_rate: '0/0',
      duration: '1.000000',
      disposition: { default: 0, attached_pic: 0 },
    },
  ],
  format: {
    nb_streams: 3,
    format_name: 'mxf',
    format_long_name: 'MXF (Material eXchange Format)',
    start_time: '0.000000',
    duration: '1.000000',
    size: '1093177',
    bit_rate: '8745416',
    tags: {
      operational_pattern_ul: '060e2b34.04010101.0d010201.01010900',
      company_name: 'FFmpeg',
      timecode: '10:00:00:00',
    },
  },
};

/** 29.97 fps MP4 with a display matrix and the timecode only on the streams (tmcd). */
const rotatedMp4 = {
  streams: [
    {
      index: 0,
      codec_name: 'h264',
      codec_type: 'video',
      width: 320,
      height: 240,
      sample_aspect_ratio: '1:1',
      pix_fmt: 'yuv420p',
      field_order: 'progressive',
      r_frame_rate: '30000/1001',
      avg_frame_rate: '30000/1001',
      duration: '1.001000',
      disposition: { default: 1, attached_pic: 0 },
      tags: { language: 'und', handler_name: 'VideoHandler', timecode: '01:00:00;00' },
      side_data_list: [{ side_data_type: 'Display Matrix', rotation: 90 }],
    },
    {
      index: 1,
      codec_type: 'data',
      r_frame_rate: '0/0',
      avg_frame_rate: '30000/1001',
      duration: '1.001000',
      disposition: { default: 0, attached_pic: 0 },
      tags: { handler_name: 'VideoHandler', timecode: '01:00:00;00' },
    },
  ],
  format: {
    format_name: 'mov,mp4,m4a,3gp,3g2,mj2',
    start_time: '0.000000',
    duration: '1.001000',
    size: '102674',
    bit_rate: '820571',
    tags: { major_brand: 'isom', encoder: 'Lavf59.27.100' },
  },
};

/** MP3 with cover art: the picture is a "video" stream that must not count as one. */
const mp3WithCover = {
  streams: [
    {
      index: 0,
      codec_name: 'mp3',
      codec_type: 'audio',
      sample_rate: '44100',
      channels: 1,
      channel_layout: 'mono',
      r_frame_rate: '0/0',
      avg_frame_rate: '0/0',
      duration: '1.044898',
      disposition: { default: 0, attached_pic: 0 },
    },
    {
      index: 1,
      codec_name: 'mjpeg',
      codec_type: 'video',
      width: 64,
      height: 64,
      sample_aspect_ratio: '1:1',
      pix_fmt: 'yuvj420p',
      r_frame_rate: '90000/1',
      avg_frame_rate: '0/0',
      duration: '1.044900',
      disposition: { default: 0, attached_pic: 1 },
      tags: { comment: 'Other' },
    },
  ],
  format: { format_name: 'mp3', start_time: '0.025056', duration: '1.044898', size: '10776', bit_rate: '82503' },
};

/** The recording with its first (video) stream changed. */
function withVideo(recording: typeof rotatedMp4, changes: Record<string, unknown>): unknown {
  const [video, ...rest] = recording.streams;
  return { ...recording, streams: [{ ...video, ...changes }, ...rest] };
}

describe('summarizeProbe', () => {
  it('summarizes an interlaced PAL MXF master', () => {
    assert.deepEqual(summarize(palMxf), {
      container: 'mxf',
      durationSeconds: 1,
      sizeBytes: 1093177,
      bitRate: 8745416,
      video: {
        index: 0,
        codec: 'mpeg2video',
        width: 720,
        height: 576,
        frameRate: { num: 25, den: 1 },
        sampleAspectRatio: { num: 16, den: 15 },
        pixFmt: 'yuv420p',
        rotation: 0,
        interlaced: true,
      },
      audio: [
        { index: 1, codec: 'pcm_s24le', channels: 1, sampleRate: 48000, channelLayout: null },
        { index: 2, codec: 'pcm_s24le', channels: 1, sampleRate: 48000, channelLayout: null },
      ],
      startTimecode: '10:00:00:00',
    });
  });

  it('reads a 29.97 rational, the display rotation and a stream-level drop-frame timecode', () => {
    const summary = summarize(rotatedMp4);
    assert.deepEqual(summary.video?.frameRate, { num: 30000, den: 1001 });
    // ffprobe's matrix rotation is counter-clockwise; the summary is clockwise.
    assert.equal(summary.video?.rotation, 270);
    assert.equal(summary.video?.sampleAspectRatio, null);
    assert.equal(summary.video?.interlaced, false);
    assert.equal(summary.startTimecode, '01:00:00;00');
    assert.deepEqual(summary.audio, []);
  });

  it('prefers the legacy rotate tag (clockwise) and normalizes negative angles', () => {
    const tags = rotatedMp4.streams[0]!.tags;
    const rotation = (changes: Record<string, unknown>) => summarize(withVideo(rotatedMp4, changes)).video?.rotation;
    // As ffmpeg 4.x reports an iPhone portrait clip: tag rotate=90 and matrix rotation -90.
    assert.equal(
      rotation({
        tags: { ...tags, rotate: '90' },
        side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }],
      }),
      90,
    );
    assert.equal(
      rotation({ side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }] }),
      90,
      'matrix alone',
    );
    assert.equal(rotation({ side_data_list: [{ side_data_type: 'Display Matrix', rotation: 180 }] }), 180);
    assert.equal(rotation({ side_data_list: [] }), 0);
  });

  it('falls back to the average rate when the base rate is a timebase (variable frame rate)', () => {
    const vfr = withVideo(rotatedMp4, { r_frame_rate: '90000/1', avg_frame_rate: '1800000/60061' });
    assert.deepEqual(summarize(vfr).video?.frameRate, { num: 1800000, den: 60061 });
  });

  it('does not count cover art as video', () => {
    const summary = summarize(mp3WithCover);
    assert.equal(summary.video, null);
    assert.deepEqual(summary.audio, [
      { index: 0, codec: 'mp3', channels: 1, sampleRate: 44100, channelLayout: 'mono' },
    ]);
    assert.equal(summary.startTimecode, null);
  });

  it('reads the tmcd track before a container tag, as the QC metadata does', () => {
    const tagged = {
      ...rotatedMp4,
      format: { ...rotatedMp4.format, tags: { ...rotatedMp4.format.tags, timecode: '00:00:00:00' } },
      streams: [rotatedMp4.streams[0]!, { ...rotatedMp4.streams[1]!, codec_tag_string: 'tmcd' }],
    };
    assert.equal(summarize(tagged).startTimecode, '01:00:00;00');
  });
});

describe('probeFile', () => {
  it('probes a real clip', async (t) => {
    const dir = await makeTempDir(t);
    const path = await generateClip(dir, {
      name: 'tc.mov',
      width: 320,
      height: 240,
      fps: '30000/1001',
      seconds: 1,
      timecode: '01:00:00;00',
    });
    const summary = await probeFile(path);
    assert.equal(summary.container, 'mov,mp4,m4a,3gp,3g2,mj2');
    assert.ok(Math.abs((summary.durationSeconds ?? 0) - 1) < 0.1, `duration ${summary.durationSeconds}`);
    assert.deepEqual(summary.video && [summary.video.codec, summary.video.width, summary.video.height], [
      'h264',
      320,
      240,
    ]);
    assert.deepEqual(summary.video?.frameRate, { num: 30000, den: 1001 });
    assert.deepEqual(
      summary.audio.map((a) => [a.codec, a.sampleRate]),
      [['aac', 48000]],
    );
    assert.equal(summary.startTimecode, '01:00:00;00');
  });

  it("answers unprocessable for something that is not media, with ffprobe's reason", async (t) => {
    const dir = await makeTempDir(t);
    await writeFile(`${dir}/notes.mov`, 'this is a text file, not a movie');
    await assert.rejects(probeFile(`${dir}/notes.mov`), {
      code: 'unprocessable',
      message: /not readable as media: .*Invalid data/,
    });
  });
});
