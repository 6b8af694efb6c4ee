import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildPreviewArgs,
  buildProbeArgs,
  buildProgressiveRemuxArgs,
  chooseVideoEncoder,
  describeEncoding,
  hlsVariantStreamMap,
  isStillImage,
  planPoster,
  planPreview,
  planPreviewAudio,
  planRenditions,
} from '../src/media/ffmpeg-args.ts';
import type { AudioSummary, MediaSummary, VideoSummary } from '../src/media/probe.ts';

const hdVideo: VideoSummary = {
  index: 0,
  codec: 'h264',
  width: 1280,
  height: 720,
  frameRate: { num: 25, den: 1 },
  sampleAspectRatio: null,
  pixFmt: 'yuv420p',
  rotation: 0,
  interlaced: false,
};

const hdClip: MediaSummary = {
  container: 'mov,mp4,m4a,3gp,3g2,mj2',
  durationSeconds: 3,
  sizeBytes: 1_000_000,
  bitRate: 2_666_666,
  video: hdVideo,
  audio: [{ index: 1, codec: 'aac', channels: 1, sampleRate: 48000, channelLayout: 'mono' }],
  startTimecode: null,
};

describe('chooseVideoEncoder', () => {
  it('uses libx264 unless the node has NVENC', () => {
    assert.deepEqual(chooseVideoEncoder({ nvenc: false }), {
      name: 'libx264',
      settings: { preset: 'veryfast', crf: 21, profile: 'high' },
    });
    assert.deepEqual(chooseVideoEncoder({ nvenc: true }), {
      name: 'h264_nvenc',
      settings: { preset: 'p4', tune: 'hq', rc: 'vbr', cq: 23, profile: 'high' },
    });
  });

  it('lets tests pick a faster x264 preset without changing the default', () => {
    assert.equal(chooseVideoEncoder({ nvenc: false }, { x264Preset: 'ultrafast' }).settings.preset, 'ultrafast');
    assert.equal(chooseVideoEncoder({ nvenc: false }).settings.preset, 'veryfast');
  });
});

describe('planRenditions', () => {
  const sizes = (source: Parameters<typeof planRenditions>[0]) =>
    planRenditions(source).map((r) => `${r.name} ${r.width}x${r.height} ${r.maxrateKbps}k/${r.bufsizeKbps}k`);

  it('takes every rung at or below a 1080p source', () => {
    assert.deepEqual(sizes({ width: 1920, height: 1080 }), [
      '1080p 1920x1080 6000k/12000k',
      '720p 1280x720 3500k/7000k',
      '360p 640x360 900k/1800k',
    ]);
  });

  it('never upscales', () => {
    assert.deepEqual(sizes({ width: 1280, height: 720 }), ['720p 1280x720 3500k/7000k', '360p 640x360 900k/1800k']);
    assert.deepEqual(
      sizes({ width: 3840, height: 2160 }).map((s) => s.split(' ')[0]),
      ['1080p', '720p', '360p'],
    );
    assert.deepEqual(sizes({ width: 1920, height: 800 }), ['720p 1728x720 3500k/7000k', '360p 864x360 900k/1800k']);
  });

  it('keeps one rung at the source height below 360 lines', () => {
    assert.deepEqual(sizes({ width: 320, height: 240 }), ['240p 320x240 600k/1200k']);
    assert.deepEqual(sizes({ width: 160, height: 90 }), ['90p 160x90 225k/450k']);
  });

  it('makes odd sizes even and keeps the aspect ratio', () => {
    assert.deepEqual(sizes({ width: 321, height: 241 }), ['240p 320x240 600k/1200k']);
    // 720x576 with square pixels: 360 * 720/576 = 450.
    assert.deepEqual(sizes({ width: 720, height: 576 }), ['360p 450x360 900k/1800k']);
    // 2.39:1 scope at 1998x837 → 720 * 1998/837 = 1718.7 → 1718.
    assert.deepEqual(sizes({ width: 1998, height: 837 }), ['720p 1718x720 3500k/7000k', '360p 860x360 900k/1800k']);
    for (const r of planRenditions({ width: 1001, height: 999 })) {
      assert.equal(r.width % 2, 0, `${r.name} width`);
      assert.equal(r.height % 2, 0, `${r.name} height`);
    }
    assert.deepEqual(sizes({ width: 3, height: 3 }), ['2p 2x2 200k/400k']);
  });

  it('turns non-square pixels into square ones at the displayed aspect ratio', () => {
    // PAL 4:3 SD (SAR 16:15) shows as 768x576; PAL 16:9 (SAR 64:45) as 1024x576.
    assert.deepEqual(sizes({ width: 720, height: 576, sampleAspectRatio: { num: 16, den: 15 } }), [
      '360p 480x360 900k/1800k',
    ]);
    assert.deepEqual(sizes({ width: 720, height: 576, sampleAspectRatio: { num: 64, den: 45 } }), [
      '360p 640x360 900k/1800k',
    ]);
    // Anamorphic HDV 1440x1080 (SAR 4:3) is 16:9 on screen.
    assert.deepEqual(
      sizes({ width: 1440, height: 1080, sampleAspectRatio: { num: 4, den: 3 } }),
      sizes({ width: 1920, height: 1080 }),
    );
  });

  it('swaps width and height for 90° and 270° rotation', () => {
    // A portrait phone clip stored as 1920x1080 with a 90° display matrix is 1080x1920 on screen.
    assert.deepEqual(sizes({ width: 1920, height: 1080, rotation: 90 }), [
      '1080p 608x1080 6000k/12000k',
      '720p 406x720 3500k/7000k',
      '360p 202x360 900k/1800k',
    ]);
    assert.deepEqual(sizes({ width: 1920, height: 1080, rotation: 270 }), sizes({ width: 1080, height: 1920 }));
    assert.deepEqual(sizes({ width: 1920, height: 1080, rotation: 180 }), sizes({ width: 1920, height: 1080 }));
  });

  it('refuses a stream without dimensions', () => {
    assert.throws(() => planRenditions({ width: 0, height: 0 }), { code: 'unprocessable' });
  });
});

describe('planPoster', () => {
  it('takes the frame 10% in, at most 1280 wide', () => {
    assert.deepEqual(planPoster(hdVideo, 3), { width: 1280, height: 720, frame: 7 });
    assert.deepEqual(planPoster({ ...hdVideo, width: 3840, height: 2160 }, 100), {
      width: 1280,
      height: 720,
      frame: 250,
    });
    assert.deepEqual(planPoster({ ...hdVideo, width: 320, height: 240 }, 3), { width: 320, height: 240, frame: 7 });
  });

  it('falls back to 1 s when the duration is unknown and follows rotation', () => {
    assert.deepEqual(planPoster({ ...hdVideo, frameRate: { num: 30000, den: 1001 }, rotation: 90 }, null), {
      width: 720,
      height: 1280,
      frame: 29,
    });
  });
});

const mono = (index: number): AudioSummary => ({
  index,
  codec: 'pcm_s24le',
  channels: 1,
  sampleRate: 48000,
  channelLayout: null,
});

describe('planPreviewAudio', () => {
  it('uses a multichannel first stream as it is', () => {
    assert.deepEqual(planPreviewAudio([{ ...mono(1), channels: 2, channelLayout: 'stereo' }, mono(2)]), {
      streams: [1],
      joinedLayout: null,
    });
  });

  it('joins mono tracks: the first two as stereo, six as 5.1', () => {
    assert.deepEqual(planPreviewAudio([mono(1), mono(2)]), { streams: [1, 2], joinedLayout: 'stereo' });
    assert.deepEqual(planPreviewAudio([mono(1), mono(2), mono(3), mono(4)]), {
      streams: [1, 2],
      joinedLayout: 'stereo',
    });
    assert.deepEqual(planPreviewAudio([1, 2, 3, 4, 5, 6].map(mono)), {
      streams: [1, 2, 3, 4, 5, 6],
      joinedLayout: '5.1',
    });
    // Eight tracks (a stereo pair plus 5.1, or 5.1 plus a pair) are ambiguous: the first pair is the programme.
    assert.deepEqual(planPreviewAudio([1, 2, 3, 4, 5, 6, 7, 8].map(mono)), { streams: [1, 2], joinedLayout: 'stereo' });
  });

  it('keeps a lone mono track, stops at a track of another rate and has nothing for no audio', () => {
    assert.deepEqual(planPreviewAudio([mono(3)]), { streams: [3], joinedLayout: null });
    assert.deepEqual(planPreviewAudio([mono(1), { ...mono(2), sampleRate: 44100 }]), {
      streams: [1],
      joinedLayout: null,
    });
    assert.equal(planPreviewAudio([]), null);
  });
});

describe('planPreview', () => {
  const fullHd: MediaSummary = { ...hdClip, video: { ...hdVideo, width: 1920, height: 1080 } };

  it('plans every output for a video with audio', () => {
    const plan = planPreview(fullHd);
    assert.equal(plan.kind, 'video');
    assert.deepEqual(
      plan.renditions.map((r) => r.name),
      ['1080p', '720p', '360p'],
    );
    assert.deepEqual(plan.sprites, {
      intervalSeconds: 1,
      tileWidth: 160,
      tileHeight: 90,
      columns: 3,
      rows: 1,
      count: 3,
      durationSeconds: 3,
    });
    assert.deepEqual(plan.audio, { streams: [1], joinedLayout: null });
    assert.deepEqual([plan.waveform, plan.loudness, plan.mp4], [true, true, true]);
    assert.deepEqual(plan.dropped, []);
  });

  it('drops what backpressure asks for and records only what it actually left out', () => {
    const plan = planPreview(fullHd, { skip: ['renditions-above-720', 'mp4', 'waveform', 'sprites'] });
    assert.deepEqual(
      plan.renditions.map((r) => r.name),
      ['720p', '360p'],
    );
    assert.equal(plan.sprites, null);
    assert.deepEqual([plan.waveform, plan.loudness, plan.mp4], [false, true, false]);
    assert.ok(plan.poster, 'the poster is never dropped');
    assert.deepEqual(plan.dropped, ['sprites', 'waveform', 'mp4', 'renditions-above-720']);
    // A 720p video-only source has nothing above 720 and no waveform to drop.
    const small = planPreview({ ...hdClip, audio: [] }, { skip: ['renditions-above-720', 'waveform'] });
    assert.deepEqual(
      small.renditions.map((r) => r.name),
      ['720p', '360p'],
    );
    assert.deepEqual(small.dropped, []);
    assert.equal(small.loudness, false);
  });

  it('plans an audio-only source: audio HLS, waveform, loudness, no pictures', () => {
    const plan = planPreview({ ...hdClip, container: 'wav', video: null });
    assert.equal(plan.kind, 'audio');
    assert.deepEqual(plan.renditions, []);
    assert.equal(plan.poster, null);
    assert.equal(plan.sprites, null);
    assert.deepEqual([plan.waveform, plan.loudness, plan.mp4], [true, true, true]);
  });

  it('plans a still image as a poster only, from its only frame', () => {
    const png: MediaSummary = {
      ...hdClip,
      container: 'png_pipe',
      durationSeconds: null,
      audio: [],
      video: { ...hdVideo, codec: 'png', frameRate: { num: 25, den: 1 } },
    };
    const plan = planPreview(png, { skip: ['mp4'] });
    assert.equal(plan.kind, 'still');
    assert.deepEqual(plan.poster, { width: 1280, height: 720, frame: 0 });
    assert.deepEqual(
      [plan.renditions.length, plan.sprites, plan.audio, plan.waveform, plan.loudness, plan.mp4],
      [0, null, null, false, false, false],
    );
  });

  it('refuses stream-less sources and a non-positive segment length', () => {
    assert.throws(() => planPreview({ ...hdClip, video: null, audio: [] }), {
      code: 'unprocessable',
      message: /neither a video nor an audio stream/,
    });
    assert.throws(() => planPreview(hdClip, { segmentSeconds: 0 }), { code: 'bad_request' });
  });
});

describe('isStillImage', () => {
  it('recognizes ffmpeg image demuxers, not video containers or images with sound', () => {
    for (const container of ['png_pipe', 'jpeg_pipe', 'tiff_pipe', 'image2'])
      assert.equal(isStillImage({ ...hdClip, container, audio: [] }), true, container);
    for (const container of ['mov,mp4,m4a,3gp,3g2,mj2', 'mxf', 'gif'])
      assert.equal(isStillImage({ ...hdClip, container, audio: [] }), false, container);
    assert.equal(isStillImage({ ...hdClip, container: 'png_pipe' }), false);
  });
});

describe('buildPreviewArgs', () => {
  const hlsTail = (streamMap: string, segmentSeconds = '2') => [
    '-map_metadata',
    '-1',
    '-map_chapters',
    '-1',
    '-f',
    'hls',
    '-hls_time',
    segmentSeconds,
    '-hls_playlist_type',
    'vod',
    '-hls_segment_type',
    'fmp4',
    '-hls_flags',
    'independent_segments',
    '-hls_fmp4_init_filename',
    'init.mp4',
    '-hls_segment_filename',
    '/out/hls/%v/seg_%05d.m4s',
    '-master_pl_name',
    'master.m3u8',
    '-var_stream_map',
    streamMap,
    '/out/hls/%v/index.m3u8',
  ];
  const aac = ['-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-ar', '48000'];
  const posterOutput = [
    '-map',
    '[poster]',
    '-frames:v',
    '1',
    '-q:v',
    '3',
    '-map_metadata',
    '-1',
    '-map_chapters',
    '-1',
    '-f',
    'image2',
    '-update',
    '1',
    '/out/poster.jpg',
  ];
  const spriteOutput = [
    '-map',
    '[sprites]',
    '-frames:v',
    '1',
    '-q:v',
    '5',
    '-map_metadata',
    '-1',
    '-map_chapters',
    '-1',
    '-f',
    'image2',
    '-update',
    '1',
    '/out/thumbs/sprite.jpg',
  ];
  const waveformOutput = ['-map', '[wave]', '-c:a', 'pcm_s8', '-f', 's8', '/out/waveform.s8'];
  const waveformChain = '[awave]aresample=8000,aformat=sample_fmts=u8:channel_layouts=mono[wave]';
  const hdGraph =
    '[0:0]split=4[src0][src1][srcposter][srcsprites];' +
    '[src0]scale=1280:720:flags=bicubic,setsar=1,format=yuv420p[hls0];' +
    '[src1]scale=640:360:flags=bicubic,setsar=1,format=yuv420p[hls1];' +
    '[srcposter]trim=start_frame=7:end_frame=8,scale=1280:720:flags=bicubic:out_range=full,setsar=1,format=yuvj420p[poster];' +
    '[srcsprites]fps=fps=1/1,scale=160:90:flags=bicubic:out_range=full,setsar=1,format=yuvj420p,tile=3x1[sprites];' +
    '[0:1]ebur128=peak=true:framelog=verbose,asplit=2[aenc][awave];' +
    waveformChain;
  const head = (input: string, logLevel = 'level+info') => [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    logLevel,
    '-y',
    '-i',
    `file:${input}`,
    '-filter_complex',
  ];

  it('builds one libx264 command for HLS ladder, poster, sprites, waveform samples and loudness', () => {
    const x264 = [
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '21',
      '-profile:v',
      'high',
      '-g',
      '50',
      '-keyint_min',
      '50',
      '-sc_threshold',
      '0',
      '-force_key_frames',
      'expr:gte(t,n_forced*2)',
    ];
    // prettier-ignore
    assert.deepEqual(
      buildPreviewArgs({
        inputPath: '/in/clip.mov',
        outputDir: '/out',
        probe: hdClip,
        encoder: chooseVideoEncoder({ nvenc: false }),
      }),
      [
        ...head('/in/clip.mov'),
        hdGraph,
        '-map',
        '[hls0]',
        '-map',
        '[hls1]',
        '-map',
        '[aenc]',
        ...x264,
        '-maxrate:v:0',
        '3500k',
        '-bufsize:v:0',
        '7000k',
        '-maxrate:v:1',
        '900k',
        '-bufsize:v:1',
        '1800k',
        ...aac,
        ...hlsTail('v:0,agroup:audio,name:720p v:1,agroup:audio,name:360p a:0,agroup:audio,name:audio'),
        ...posterOutput,
        ...spriteOutput,
        ...waveformOutput,
      ],
    );
  });

  it('builds the same command shape for h264_nvenc with its own keyframe switches', () => {
    const nvenc = [
      '-c:v',
      'h264_nvenc',
      '-preset',
      'p4',
      '-tune',
      'hq',
      '-rc',
      'vbr',
      '-cq',
      '23',
      '-b:v',
      '0',
      '-profile:v',
      'high',
      '-g',
      '50',
      '-no-scenecut',
      '1',
      '-forced-idr',
      '1',
      '-force_key_frames',
      'expr:gte(t,n_forced*2)',
    ];
    // prettier-ignore
    assert.deepEqual(
      buildPreviewArgs({
        inputPath: '/in/clip.mov',
        outputDir: '/out',
        probe: hdClip,
        encoder: chooseVideoEncoder({ nvenc: true }),
      }),
      [
        ...head('/in/clip.mov'),
        hdGraph,
        '-map',
        '[hls0]',
        '-map',
        '[hls1]',
        '-map',
        '[aenc]',
        ...nvenc,
        '-maxrate:v:0',
        '3500k',
        '-bufsize:v:0',
        '7000k',
        '-maxrate:v:1',
        '900k',
        '-bufsize:v:1',
        '1800k',
        ...aac,
        ...hlsTail('v:0,agroup:audio,name:720p v:1,agroup:audio,name:360p a:0,agroup:audio,name:audio'),
        ...posterOutput,
        ...spriteOutput,
        ...waveformOutput,
      ],
    );
  });

  it('leaves audio out of every output for a video-only source and honours the segment length', () => {
    const probe: MediaSummary = {
      ...hdClip,
      audio: [],
      durationSeconds: 10,
      video: { ...hdVideo, index: 2, width: 320, height: 240, frameRate: { num: 30000, den: 1001 }, interlaced: true },
    };
    const x264 = [
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-crf',
      '21',
      '-profile:v',
      'high',
      '-g',
      '120',
      '-keyint_min',
      '120',
      '-sc_threshold',
      '0',
      '-force_key_frames',
      'expr:gte(t,n_forced*4)',
    ];
    const args = buildPreviewArgs({
      inputPath: '/in/a.mxf',
      outputDir: '/out',
      probe,
      encoder: chooseVideoEncoder({ nvenc: false }, { x264Preset: 'ultrafast' }),
      segmentSeconds: 4,
    });
    // prettier-ignore
    assert.deepEqual(args, [
      ...head('/in/a.mxf', 'warning'),
      '[0:2]bwdif=mode=send_frame,split=3[src0][srcposter][srcsprites];' +
        '[src0]scale=320:240:flags=bicubic,setsar=1,format=yuv420p[hls0];' +
        '[srcposter]trim=start_frame=29:end_frame=30,scale=320:240:flags=bicubic:out_range=full,setsar=1,format=yuvj420p[poster];' +
        '[srcsprites]fps=fps=1/1,scale=160:120:flags=bicubic:out_range=full,setsar=1,format=yuvj420p,tile=10x1[sprites]',
      '-map',
      '[hls0]',
      ...x264,
      '-maxrate:v:0',
      '600k',
      '-bufsize:v:0',
      '1200k',
      ...hlsTail('v:0,name:240p', '4'),
      ...posterOutput,
      ...spriteOutput,
    ]);
  });

  it('joins two mono tracks to stereo and drops what it is told to skip', () => {
    const probe: MediaSummary = { ...hdClip, container: 'mxf', audio: [mono(1), mono(2)] };
    const args = buildPreviewArgs({
      inputPath: '/in/a.mxf',
      outputDir: '/out',
      probe,
      encoder: chooseVideoEncoder({ nvenc: false }),
      skip: ['sprites', 'waveform', 'mp4'],
    });
    assert.equal(
      args[args.indexOf('-filter_complex') + 1],
      '[0:0]split=3[src0][src1][srcposter];' +
        '[src0]scale=1280:720:flags=bicubic,setsar=1,format=yuv420p[hls0];' +
        '[src1]scale=640:360:flags=bicubic,setsar=1,format=yuv420p[hls1];' +
        '[srcposter]trim=start_frame=7:end_frame=8,scale=1280:720:flags=bicubic:out_range=full,setsar=1,format=yuvj420p[poster];' +
        '[0:1][0:2]join=inputs=2:channel_layout=stereo:map=0.0-FL|1.0-FR,ebur128=peak=true:framelog=verbose[aenc]',
    );
    assert.ok(!args.includes('[sprites]') && !args.includes('[wave]'), args.join(' '));
    assert.deepEqual(args.slice(-posterOutput.length), posterOutput);
  });

  it('builds an audio-only HLS rendition with waveform samples and loudness', () => {
    const probe: MediaSummary = { ...hdClip, container: 'wav', video: null, audio: [{ ...mono(0), channels: 2 }] };
    // prettier-ignore
    assert.deepEqual(
      buildPreviewArgs({
        inputPath: '/in/a.wav',
        outputDir: '/out',
        probe,
        encoder: chooseVideoEncoder({ nvenc: false }),
      }),
      [
        ...head('/in/a.wav'),
        `[0:0]ebur128=peak=true:framelog=verbose,asplit=2[aenc][awave];${waveformChain}`,
        '-map',
        '[aenc]',
        ...aac,
        ...hlsTail('a:0,name:audio'),
        ...waveformOutput,
      ],
    );
  });

  it('builds a poster-only command for a still image', () => {
    const probe: MediaSummary = {
      ...hdClip,
      container: 'tiff_pipe',
      durationSeconds: null,
      audio: [],
      video: { ...hdVideo, codec: 'tiff', width: 4000, height: 3000 },
    };
    assert.deepEqual(
      buildPreviewArgs({
        inputPath: '/in/a.tif',
        outputDir: '/out',
        probe,
        encoder: chooseVideoEncoder({ nvenc: false }),
      }),
      [
        ...head('/in/a.tif', 'warning'),
        '[0:0]scale=1280:960:flags=bicubic:out_range=full,setsar=1,format=yuvj420p[poster]',
        ...posterOutput,
      ],
    );
  });
});

describe('hlsVariantStreamMap', () => {
  const videoOnly: MediaSummary = { ...hdClip, audio: [] };
  const audioOnly: MediaSummary = { ...hdClip, video: null };

  it('lists the video renditions first, highest first, and the audio-only variant last', () => {
    assert.equal(
      hlsVariantStreamMap(planPreview(hdClip)),
      'v:0,agroup:audio,name:720p v:1,agroup:audio,name:360p a:0,agroup:audio,name:audio',
    );
  });

  it('has no audio group for a silent source and one audio variant for a sound-only one', () => {
    assert.equal(hlsVariantStreamMap(planPreview(videoOnly)), 'v:0,name:720p v:1,name:360p');
    assert.equal(hlsVariantStreamMap(planPreview(audioOnly)), 'a:0,name:audio');
  });
});

describe('buildProgressiveRemuxArgs', () => {
  const tail = [
    '-c',
    'copy',
    '-map_metadata',
    '-1',
    '-map_chapters',
    '-1',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    '/out/preview.mp4',
  ];
  const head = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning', '-y'];

  it('copies the top rung and the audio rendition into a faststart MP4', () => {
    assert.deepEqual(
      buildProgressiveRemuxArgs('/out', planPreview({ ...hdClip, video: { ...hdVideo, width: 1920, height: 1080 } })),
      [
        ...head,
        '-i',
        'file:/out/hls/1080p/index.m3u8',
        '-i',
        'file:/out/hls/audio/index.m3u8',
        '-map',
        '0:v:0',
        '-map',
        '1:a:0',
        ...tail,
      ],
    );
  });

  it('copies only what exists: video alone, or audio alone', () => {
    assert.deepEqual(buildProgressiveRemuxArgs('/out', planPreview({ ...hdClip, audio: [] })), [
      ...head,
      '-i',
      'file:/out/hls/720p/index.m3u8',
      '-map',
      '0:v:0',
      ...tail,
    ]);
    assert.deepEqual(buildProgressiveRemuxArgs('/out', planPreview({ ...hdClip, video: null })), [
      ...head,
      '-i',
      'file:/out/hls/audio/index.m3u8',
      '-map',
      '0:a:0',
      ...tail,
    ]);
  });
});

describe('describeEncoding', () => {
  it('records what the preview was encoded with', () => {
    assert.deepEqual(describeEncoding(chooseVideoEncoder({ nvenc: true }), hdClip, 2), {
      video: {
        encoder: 'h264_nvenc',
        preset: 'p4',
        tune: 'hq',
        rc: 'vbr',
        cq: 23,
        profile: 'high',
        gopFrames: 50,
        keyframeIntervalSeconds: 2,
        pixFmt: 'yuv420p',
      },
      audio: { codec: 'aac', bitrateKbps: 128, channels: 2, sampleRate: 48000 },
    });
    assert.equal(describeEncoding(chooseVideoEncoder({ nvenc: false }), { ...hdClip, audio: [] }).audio, null);
    assert.equal(describeEncoding(chooseVideoEncoder({ nvenc: false }), { ...hdClip, video: null }).video, null);
    assert.deepEqual(
      describeEncoding(chooseVideoEncoder({ nvenc: false }), { ...hdClip, container: 'png_pipe', audio: [] }),
      { video: null, audio: null },
    );
  });
});

describe('buildProbeArgs', () => {
  it('asks ffprobe for format and streams as JSON, reading the path as a file', () => {
    assert.deepEqual(buildProbeArgs('/in/a:b.mov'), [
      '-v',
      'error',
      '-show_format',
      '-show_streams',
      '-of',
      'json',
      'file:/in/a:b.mov',
    ]);
  });
});
