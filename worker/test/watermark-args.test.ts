/**
 * The watermarked set's ffmpeg command as exact argument lists: the burn-in's size and place,
 * the escaping of what goes into the filter graph, and the preview command it is spliced into.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RenderedWatermark } from '@mediavault/core/watermark';
import { buildPreviewArgs, chooseVideoEncoder } from '../src/media/ffmpeg-args.ts';
import type { MediaSummary } from '../src/media/probe.ts';
import {
  buildWatermarkArgs,
  burnInFilters,
  escapeFilterValue,
  planBurnIn,
  planWatermarkedSet,
  spliceBurnIn,
  watermarkTextFile,
} from '../src/media/watermark-args.ts';

const text = 'Trailer v3 · jane@client.example · 2025-03-10';
const corner: RenderedWatermark = { text, position: 'bottom-right', opacity: 0.5, size: 'medium' };
const tiled: RenderedWatermark = { text, position: 'diagonal-tiled', opacity: 0.35, size: 'small' };
const fullHd = { width: 1920, height: 1080 };
const files = { textFile: '/work/out/watermark.txt', fontFile: '/fonts/DejaVuSans.ttf' };

/** A 1080i ProRes master with a stereo PCM track, as they arrive from an online edit. */
const master: MediaSummary = {
  container: 'mov,mp4,m4a,3gp,3g2,mj2',
  durationSeconds: 3,
  sizeBytes: 24_000_000,
  bitRate: 64_000_000,
  video: {
    index: 0,
    codec: 'prores',
    width: 1920,
    height: 1080,
    frameRate: { num: 25, den: 1 },
    sampleAspectRatio: null,
    pixFmt: 'yuv422p10le',
    rotation: 0,
    interlaced: true,
  },
  audio: [{ index: 1, codec: 'pcm_s24le', channels: 2, sampleRate: 48000, channelLayout: 'stereo' }],
  startTimecode: null,
};

describe('planBurnIn', () => {
  it('sizes the text by the picture height and keeps it off the edges', () => {
    assert.deepEqual(planBurnIn(corner, fullHd), {
      frame: fullHd,
      position: 'bottom-right',
      opacity: 0.5,
      fontSize: 49,
      margin: 43,
      borderWidth: 3,
      tiled: null,
    });
    const sizes = (['small', 'medium', 'large'] as const).map(
      (size) => planBurnIn({ ...corner, text: 'Trailer v3', size }, fullHd).fontSize,
    );
    assert.deepEqual(sizes, [32, 49, 70]);
    assert.equal(planBurnIn(corner, { width: 640, height: 360 }).fontSize, 16, 'a 360p master gets a third of it');
  });

  it('makes a long line smaller so it fits between the margins, down to 8 px', () => {
    assert.equal(planBurnIn({ ...corner, text: 'x'.repeat(120), size: 'large' }, fullHd).fontSize, 25);
    assert.equal(planBurnIn({ ...corner, text: 'x'.repeat(300) }, { width: 640, height: 360 }).fontSize, 8);
    // Han characters are a full em wide.
    assert.equal(planBurnIn({ ...corner, text: '試写'.repeat(30), size: 'large' }, fullHd).fontSize, 30);
  });

  it('lays the tiled pattern on a square as wide as the diagonal, rows and repeats to spare', () => {
    assert.deepEqual(planBurnIn(tiled, fullHd), {
      frame: fullHd,
      position: 'diagonal-tiled',
      opacity: 0.35,
      fontSize: 32,
      margin: 43,
      borderWidth: 2,
      tiled: { canvas: 2204, columns: 6, rows: 24, gapSpaces: 8, lineSpacing: 64 },
    });
  });
});

describe('watermarkTextFile', () => {
  it('is the line itself, or rows of repeats laid like bricks', () => {
    assert.equal(watermarkTextFile(text, planBurnIn(corner, fullHd)), text);
    const plan = planBurnIn({ ...tiled, text: 'abc', size: 'large' }, { width: 320, height: 180 });
    assert.deepEqual(plan.tiled, { canvas: 368, columns: 11, rows: 11, gapSpaces: 8, lineSpacing: 24 });
    const rows = watermarkTextFile('abc', plan).split('\n');
    assert.equal(rows.length, 11);
    assert.equal(rows[0], Array(11).fill('abc').join(' '.repeat(8)));
    assert.equal(rows[1], `${' '.repeat(6)}${rows[0]}`);
    assert.equal(rows[2], rows[0]);
  });
});

describe('escapeFilterValue', () => {
  it("follows ffmpeg's documented two-level recipe", () => {
    // ffmpeg-filters, "Notes on filtergraph escaping": this text, escaped for drawtext inside a graph.
    assert.equal(
      escapeFilterValue("this is a 'string': may contain one, or more, special characters"),
      "this is a \\\\\\'string\\\\\\'\\\\: may contain one\\, or more\\, special characters",
    );
  });

  it('escapes every character that would end the value or the filter in a path', () => {
    assert.equal(
      escapeFilterValue("/tmp/it's 50%: a\\b [x];y,z"),
      "/tmp/it\\\\\\'s 50%\\\\: a\\\\\\\\b \\[x\\]\\;y\\,z",
    );
    assert.equal(
      escapeFilterValue('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'),
      '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
    );
  });
});

describe('burnInFilters', () => {
  it('draws a line or a centred text straight onto the top rung, from the text file', () => {
    assert.equal(
      burnInFilters(planBurnIn(corner, fullHd), files),
      'scale=1920:1080:flags=bicubic,setsar=1,format=yuv420p,' +
        'drawtext=fontfile=/fonts/DejaVuSans.ttf:textfile=/work/out/watermark.txt:expansion=none:fontsize=49:' +
        'fontcolor=white@0.50:borderw=3:bordercolor=black@0.50:x=w-tw-43:y=h-th-43:fix_bounds=1,',
    );
    const places = (['top-left', 'top-right', 'bottom-left', 'center'] as const).map((position) => {
      const filters = burnInFilters(planBurnIn({ ...corner, position }, fullHd), files);
      return /:x=([^:]+):y=([^:]+):/.exec(filters)!.slice(1).join(' ');
    });
    assert.deepEqual(places, ['43 43', 'w-tw-43 43', '43 h-th-43', '(w-tw)/2 (h-th)/2']);
  });

  it('draws the tiled pattern once, fades and turns it, and lays it over every frame', () => {
    assert.equal(
      burnInFilters(planBurnIn(tiled, fullHd), files),
      'scale=1920:1080:flags=bicubic,setsar=1,format=yuv420p[wmpicture];' +
        'color=c=black@0:s=2204x2204:r=1:d=1,format=rgba,' +
        'drawtext=fontfile=/fonts/DejaVuSans.ttf:textfile=/work/out/watermark.txt:expansion=none:fontsize=32:' +
        'fontcolor=white:borderw=2:bordercolor=black:line_spacing=64:x=(w-tw)/2:y=(h-th)/2,' +
        'colorchannelmixer=aa=0.35,rotate=a=-30*PI/180:ow=1920:oh=1080:c=none[wmpattern];' +
        '[wmpicture][wmpattern]overlay=x=0:y=0,',
    );
  });

  it('escapes the paths it is given', () => {
    const filters = burnInFilters(planBurnIn(corner, fullHd), { ...files, textFile: "/tmp/a:b'c/watermark.txt" });
    assert.ok(filters.includes("textfile=/tmp/a\\\\:b\\\\\\'c/watermark.txt:expansion=none"), filters);
  });
});

describe('spliceBurnIn', () => {
  it('goes after the deinterlacer and before the split, and nowhere else', () => {
    assert.equal(
      spliceBurnIn('[0:0]bwdif=mode=send_frame,split=2[a][b];[a]null[x];[0:1]anull[aenc]', 0, 'BURN,'),
      '[0:0]bwdif=mode=send_frame,BURN,split=2[a][b];[a]null[x];[0:1]anull[aenc]',
    );
    assert.equal(spliceBurnIn('[0:2]split=1[a]', 2, 'BURN,'), '[0:2]BURN,split=1[a]');
  });

  it('refuses a graph without a split of the picture, rather than build a clean set', () => {
    assert.throws(() => spliceBurnIn('[0:0]scale=2:2[hls0]', 0, 'BURN,'), /no split of stream 0:0/);
    assert.throws(() => spliceBurnIn('[0:1]split=2[a][b]', 0, 'BURN,'), /no split of stream 0:0/);
  });
});

describe('planWatermarkedSet', () => {
  it('refuses a master with no moving picture', () => {
    assert.throws(() => planWatermarkedSet({ ...master, video: null }, corner), /only sound/);
    assert.throws(() => planWatermarkedSet({ ...master, container: 'png_pipe', audio: [] }, corner), /still image/);
  });

  it('builds the ladder, audio and poster, and neither sprites nor waveform', () => {
    const { preview } = planWatermarkedSet(master, corner);
    assert.deepEqual(
      preview.renditions.map((r) => r.name),
      ['1080p', '720p', '360p'],
    );
    assert.equal(preview.sprites, null);
    assert.equal(preview.waveform, false);
    assert.equal(preview.mp4, true);
    assert.ok(preview.poster);
  });
});

describe('buildWatermarkArgs', () => {
  const input = {
    inputPath: '/work/source',
    outputDir: '/work/out',
    probe: master,
    encoder: chooseVideoEncoder({ nvenc: false }),
    watermark: corner,
    ...files,
  };

  it('burns the watermark in once, after the deinterlacer and before the split into rungs and poster', () => {
    const args = buildWatermarkArgs(input);
    assert.equal(
      args[args.indexOf('-filter_complex') + 1],
      '[0:0]bwdif=mode=send_frame,scale=1920:1080:flags=bicubic,setsar=1,format=yuv420p,' +
        'drawtext=fontfile=/fonts/DejaVuSans.ttf:textfile=/work/out/watermark.txt:expansion=none:fontsize=49:' +
        'fontcolor=white@0.50:borderw=3:bordercolor=black@0.50:x=w-tw-43:y=h-th-43:fix_bounds=1,' +
        'split=4[src0][src1][src2][srcposter];' +
        '[src0]scale=1920:1080:flags=bicubic,setsar=1,format=yuv420p[hls0];' +
        '[src1]scale=1280:720:flags=bicubic,setsar=1,format=yuv420p[hls1];' +
        '[src2]scale=640:360:flags=bicubic,setsar=1,format=yuv420p[hls2];' +
        '[srcposter]trim=start_frame=7:end_frame=8,scale=1280:720:flags=bicubic:out_range=full,setsar=1,format=yuvj420p[poster];' +
        '[0:1]ebur128=peak=true:framelog=verbose[aenc]',
    );
  });

  // The rest of the list is the preview command's, whose every argument args.test.ts pins.
  it('is otherwise the preview command without sprites and waveform, argument for argument, whatever the encoder', () => {
    for (const nvenc of [false, true]) {
      const encoder = chooseVideoEncoder({ nvenc });
      const watermarked = buildWatermarkArgs({ ...input, encoder, watermark: tiled });
      const clean = buildPreviewArgs({ ...input, encoder, skip: ['sprites', 'waveform'] });
      const graphAt = clean.indexOf('-filter_complex') + 1;
      assert.deepEqual(
        watermarked.filter((_, i) => i !== graphAt),
        clean.filter((_, i) => i !== graphAt),
      );
      assert.notEqual(watermarked[graphAt], clean[graphAt]);
    }
  });
});
