/**
 * technicalMetadata() on recorded reports: trimmed from MediaInfo 23.04 and ffprobe 5.1 output
 * of the generated clips (fixtures-qc.ts), plus variations MediaInfo or ffprobe produce elsewhere.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bitDepthOfPixFmt,
  chromaOfPixFmt,
  describeAudioLayout,
  rationalOfDecimalRate,
  technicalMetadata,
} from '../src/qc/technical-metadata.ts';

/** interlaced-1080i.mp4 as recorded (x264 MBAFF, tff, 29.97). */
const interlaced = {
  mediainfo: {
    media: {
      track: [
        {
          '@type': 'General',
          Format: 'MPEG-4',
          Format_Profile: 'Base Media',
          FileSize: '277199',
          Duration: '2.002',
          OverallBitRate: '1107688',
        },
        {
          '@type': 'Video',
          StreamOrder: '0',
          ID: '1',
          Format: 'AVC',
          Format_Profile: 'Main',
          Format_Level: '4',
          CodecID: 'avc1',
          Width: '1920',
          Height: '1080',
          PixelAspectRatio: '1.000',
          DisplayAspectRatio: '1.778',
          Rotation: '0.000',
          FrameRate_Mode: 'CFR',
          FrameRate_Mode_Original: 'VFR',
          FrameRate: '29.970',
          FrameRate_Num: '30000',
          FrameRate_Den: '1001',
          ColorSpace: 'YUV',
          ChromaSubsampling: '4:2:0',
          BitDepth: '8',
          ScanType: 'MBAFF',
          ScanType_StoreMethod: 'InterleavedFields',
          ScanOrder: 'TFF',
        },
      ],
    },
  },
  ffprobe: {
    format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '2.002000', size: '277199', bit_rate: '1107688' },
    streams: [
      {
        index: 0,
        codec_name: 'h264',
        profile: 'Main',
        codec_type: 'video',
        codec_tag_string: 'avc1',
        width: 1920,
        height: 1080,
        sample_aspect_ratio: '1:1',
        display_aspect_ratio: '16:9',
        pix_fmt: 'yuv420p',
        field_order: 'tt',
        r_frame_rate: '30000/1001',
        avg_frame_rate: '30000/1001',
        bits_per_raw_sample: '8',
      },
    ],
  },
};

/** two-mono.mxf as recorded: MXF material and source package timecode, GOP timecode, two mono PCM. */
const mxf = {
  mediainfo: {
    media: {
      track: [
        {
          '@type': 'General',
          Format: 'MXF',
          Format_Profile: 'OP-1a',
          FileSize: '788537',
          Duration: '2.000',
          OverallBitRate: '3154148',
        },
        {
          '@type': 'Video',
          StreamOrder: '0',
          ID: '2',
          Format: 'MPEG Video',
          Format_Profile: '4:2:2',
          Format_Level: 'Main',
          Width: '320',
          Height: '180',
          FrameRate: '25.000',
          FrameRate_Num: '25',
          FrameRate_Den: '1',
          ColorSpace: 'YUV',
          ChromaSubsampling: '4:2:2',
          BitDepth: '8',
          ScanType: 'Progressive',
          TimeCode_FirstFrame: '10:00:00:00',
          TimeCode_Source: 'Group of pictures header',
        },
        {
          '@type': 'Audio',
          StreamOrder: '1',
          ID: '3',
          Format: 'PCM',
          CodecID: '0D01030102060300',
          Channels: '1',
          SamplingRate: '48000',
          BitDepth: '24',
        },
        {
          '@type': 'Audio',
          StreamOrder: '2',
          ID: '4',
          Format: 'PCM',
          CodecID: '0D01030102060300',
          Channels: '1',
          SamplingRate: '48000',
          BitDepth: '24',
        },
        {
          '@type': 'Other',
          ID: '1-Source',
          Type: 'Time code',
          Format: 'MXF TC',
          TimeCode_FirstFrame: '09:59:00:00',
          TimeCode_Settings: 'Source Package',
        },
        {
          '@type': 'Other',
          ID: '1-Material',
          Type: 'Time code',
          Format: 'MXF TC',
          TimeCode_FirstFrame: '10:00:00:00',
          TimeCode_Settings: 'Material Package',
        },
        {
          '@type': 'Other',
          Type: 'Time code',
          Format: 'SMPTE TC',
          MuxingMode: 'SDTI',
          TimeCode_FirstFrame: '10:00:00:00',
        },
      ],
    },
  },
  ffprobe: {
    format: {
      format_name: 'mxf',
      duration: '2.000000',
      size: '788537',
      bit_rate: '3154148',
      tags: { timecode: '10:00:00:00' },
    },
    streams: [
      {
        index: 0,
        codec_name: 'mpeg2video',
        profile: '4:2:2',
        codec_type: 'video',
        codec_tag_string: '[0][0][0][0]',
        width: 320,
        height: 180,
        sample_aspect_ratio: '1:1',
        pix_fmt: 'yuv422p',
        field_order: 'progressive',
        r_frame_rate: '25/1',
        avg_frame_rate: '25/1',
      },
      {
        index: 1,
        codec_name: 'pcm_s24le',
        codec_type: 'audio',
        codec_tag_string: '[0][0][0][0]',
        sample_rate: '48000',
        channels: 1,
        bits_per_sample: 24,
        bits_per_raw_sample: '24',
      },
      {
        index: 2,
        codec_name: 'pcm_s24le',
        codec_type: 'audio',
        codec_tag_string: '[0][0][0][0]',
        sample_rate: '48000',
        channels: 1,
        bits_per_sample: 24,
        bits_per_raw_sample: '24',
      },
    ],
  },
};

describe('technicalMetadata', () => {
  it('MBAFF H.264 is interlaced, top field first, at exactly 30000/1001', () => {
    const meta = technicalMetadata(interlaced.mediainfo, interlaced.ffprobe);
    assert.deepEqual(meta.format, {
      container: 'MPEG-4',
      containerProfile: 'Base Media',
      durationSeconds: 2.002,
      overallBitRate: 1107688,
      sizeBytes: 277199,
      startTimecode: null,
      timecodeSource: null,
    });
    assert.deepEqual(meta.video, [
      {
        streamIndex: 0,
        codec: 'AVC',
        codecId: 'avc1',
        codecProfile: 'Main',
        codecLevel: '4',
        bitDepth: 8,
        chroma: '4:2:0',
        colorSpace: 'YUV',
        colorPrimaries: null,
        transferCharacteristics: null,
        matrixCoefficients: null,
        scanType: 'interlaced',
        scanOrder: 'top',
        interlaceCoding: 'mbaff',
        frameRate: { num: 30000, den: 1001 },
        // FrameRate_Mode_Original "VFR" (the short last sample of ffmpeg MP4s) does not count.
        frameRateMode: 'CFR',
        width: 1920,
        height: 1080,
        displayAspectRatio: { num: 16, den: 9 },
        pixelAspectRatio: { num: 1, den: 1 },
        rotation: 0,
      },
    ]);
  });

  it('MXF: the material package timecode wins over source package and GOP timecode', () => {
    const meta = technicalMetadata(mxf.mediainfo, mxf.ffprobe);
    assert.equal(meta.format.startTimecode, '10:00:00:00');
    assert.equal(meta.format.timecodeSource, 'mxf');
    assert.equal(meta.video[0]!.codecId, null, "ffprobe's [0][0][0][0] tag is no codec id");
    assert.deepEqual(meta.audioLayout, { tracks: 2, totalChannels: 2, description: '2 × mono' });
    assert.deepEqual(
      meta.audio.map((a) => [a.trackIndex, a.streamIndex, a.channelLayout, a.bitDepth]),
      [
        [0, 1, 'mono', 24],
        [1, 2, 'mono', 24],
      ],
    );
    // Without MediaInfo, ffprobe's MXF timecode tag still says where it came from.
    const probeOnly = technicalMetadata(undefined, mxf.ffprobe);
    assert.equal(probeOnly.format.startTimecode, '10:00:00:00');
    assert.equal(probeOnly.format.timecodeSource, 'mxf');
    assert.equal(probeOnly.format.container, 'mxf');
  });

  it('without MediaInfo, VFR is read from ffprobe base vs average rate, and the average is reported', () => {
    const meta = technicalMetadata(null, {
      format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '3.000000' },
      streams: [
        {
          index: 0,
          codec_type: 'video',
          codec_name: 'h264',
          width: 320,
          height: 180,
          pix_fmt: 'yuv420p',
          r_frame_rate: '25/1',
          avg_frame_rate: '18/1',
          field_order: 'progressive',
        },
      ],
    });
    assert.equal(meta.video[0]!.frameRateMode, 'VFR');
    assert.deepEqual(meta.video[0]!.frameRate, { num: 18, den: 1 });
    assert.equal(meta.video[0]!.bitDepth, 8);
    assert.equal(meta.video[0]!.scanType, 'progressive');
  });

  it('pairs tracks by position when MediaInfo stream order is not ffprobe’s index (MPEG-TS)', () => {
    const meta = technicalMetadata(
      {
        media: {
          track: [
            { '@type': 'General', Format: 'MPEG-TS' },
            {
              '@type': 'Audio',
              StreamOrder: '0-1',
              Format: 'AC-3',
              Channels: '6',
              ChannelLayout: 'L R C LFE Ls Rs',
              SamplingRate: '48000',
            },
          ],
        },
      },
      {
        format: { format_name: 'mpegts' },
        streams: [
          {
            index: 0,
            codec_type: 'audio',
            codec_name: 'ac3',
            channels: 6,
            channel_layout: '5.1(side)',
            sample_rate: '48000',
          },
        ],
      },
    );
    assert.equal(meta.audio[0]!.codec, 'AC-3');
    assert.equal(meta.audio[0]!.channelLayout, '5.1(side)');
    assert.equal(meta.audioLayout.description, '1 × 5.1');
  });

  it('skips cover art and reads a tmcd track before any other timecode', () => {
    const meta = technicalMetadata(null, {
      format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', tags: { timecode: '00:00:00:00' } },
      streams: [
        {
          index: 0,
          codec_type: 'video',
          codec_name: 'mjpeg',
          width: 600,
          height: 600,
          disposition: { attached_pic: 1 },
        },
        { index: 1, codec_type: 'audio', codec_name: 'aac', channels: 2, sample_rate: '48000' },
        { index: 2, codec_type: 'data', codec_tag_string: 'tmcd', tags: { timecode: '01:00:00;00' } },
      ],
    });
    assert.deepEqual(meta.video, []);
    assert.equal(meta.format.startTimecode, '01:00:00;00');
    assert.equal(meta.format.timecodeSource, 'tmcd');
    assert.equal(meta.audio[0]!.channelLayout, 'stereo');
  });
});

describe('describeAudioLayout', () => {
  it('groups tracks by shape in order of appearance', () => {
    const mono = { channels: 1, channelLayout: 'mono' };
    const stereo = { channels: 2, channelLayout: 'stereo' };
    assert.equal(describeAudioLayout(Array(8).fill(mono)).description, '8 × mono');
    assert.equal(describeAudioLayout([stereo]).description, '1 × stereo');
    assert.deepEqual(
      describeAudioLayout([
        stereo,
        mono,
        mono,
        { channels: 6, channelLayout: '5.1(side)' },
        { channels: 16, channelLayout: null },
      ]),
      {
        tracks: 5,
        totalChannels: 26,
        description: '1 × stereo + 2 × mono + 1 × 5.1 + 1 × 16-channel',
      },
    );
    assert.deepEqual(describeAudioLayout([]), { tracks: 0, totalChannels: 0, description: 'none' });
  });
});

describe('pixel format and rate helpers', () => {
  it('chroma and bit depth from ffmpeg pixel formats', () => {
    const cases: [string, string | null, number | null][] = [
      ['yuv422p10le', '4:2:2', 10],
      ['yuv420p', '4:2:0', 8],
      ['yuvj420p', '4:2:0', 8],
      ['yuv444p12le', '4:4:4', 12],
      ['p010le', '4:2:0', 10],
      ['nv12', '4:2:0', 8],
      ['gbrp10le', '4:4:4', 10],
      ['gray', '4:0:0', 8],
      ['yuv411p', '4:1:1', 8],
      ['pal8', null, null],
    ];
    for (const [pixFmt, chroma, depth] of cases) {
      assert.equal(chromaOfPixFmt(pixFmt), chroma, pixFmt);
      assert.equal(bitDepthOfPixFmt(pixFmt), depth, pixFmt);
    }
  });

  it('rounded NTSC rates become exact /1001 rationals', () => {
    assert.deepEqual(rationalOfDecimalRate(29.97), { num: 30000, den: 1001 });
    assert.deepEqual(rationalOfDecimalRate(23.976), { num: 24000, den: 1001 });
    assert.deepEqual(rationalOfDecimalRate(59.94), { num: 60000, den: 1001 });
    assert.deepEqual(rationalOfDecimalRate(25), { num: 25, den: 1 });
    assert.deepEqual(rationalOfDecimalRate(12.5), { num: 25, den: 2 });
  });
});
