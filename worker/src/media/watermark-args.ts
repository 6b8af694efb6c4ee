/**
 * Pure builders for a watermarked rendition set's ffmpeg command. The set follows the preview
 * pipeline's rules by construction: the command is the preview command (buildPreviewArgs: one
 * decode, the HLS ladder in fMP4 with keyframes on one grid, the same encoder settings, the
 * poster) with the watermark burnt into the decoded picture once, before it is split into the
 * rungs and the poster. Sprites and waveform are left out (a share plays with neither); the
 * progressive MP4 is the preview's copy-only remux of the top rung (buildProgressiveRemuxArgs).
 *
 * The text never passes through ffmpeg's filter syntax: it is written to a file in the job's
 * workspace and drawtext reads it (`textfile=`, `expansion=none`, so % is not a directive).
 * Only the font and text file paths are escaped (escapeFilterValue).
 */
import { errors } from '@mediavault/core/errors';
import type { DroppableOutput } from '@mediavault/core/backpressure';
import type { RenderedWatermark, WatermarkSize } from '@mediavault/core/watermark';
import { buildPreviewArgs, planPreview, type PreviewPlan, type VideoEncoder } from './ffmpeg-args.ts';
import type { MediaSummary } from './probe.ts';

/** What a share plays without: left out of the preview command so nothing is built for nothing. */
export const watermarkSkippedOutputs: readonly DroppableOutput[] = ['sprites', 'waveform'];

/** Text height as a share of the picture height. */
export const watermarkFontFractions: Record<WatermarkSize, number> = { small: 0.03, medium: 0.045, large: 0.065 };

/** Distance from the picture's edges, as a share of its height. */
const marginFraction = 0.04;
/** DejaVu Sans averages under 0.55 em a character; 0.6 leaves room for wide letters and capitals. */
const glyphEms = 0.6;
/** Han, kana and Hangul are a full em wide. */
const wideGlyph = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
/** The narrowest a character averages (spaces, i, l): used so the tiling never falls short. */
const narrowGlyphEms = 0.4;
const smallestFontPixels = 8;

/** The tiled pattern turns this much, rising left to right. */
export const tiledAngleDegrees = 30;

export interface TiledLayout {
  /** Side of the square the pattern is drawn on: at least the picture's diagonal, so turned it still covers the picture. */
  canvas: number;
  /** The text repeated along a row, and rows down the canvas. */
  columns: number;
  rows: number;
  /** Spaces between repeats in a row; odd rows start half a repeat in, like bricks. */
  gapSpaces: number;
  /** Pixels between rows, on top of the font's own line height. */
  lineSpacing: number;
}

export interface BurnInPlan {
  /** The picture the watermark is drawn on: the top rung's size, square pixels. */
  frame: { width: number; height: number };
  position: RenderedWatermark['position'];
  opacity: number;
  fontSize: number;
  margin: number;
  borderWidth: number;
  /** Only for diagonal-tiled. */
  tiled: TiledLayout | null;
}

/** The width in ems a line of text is expected to take (an estimate: the font decides). */
export function estimatedEms(text: string, perGlyph = glyphEms): number {
  let ems = 0;
  for (const char of text) ems += wideGlyph.test(char) ? 1 : perGlyph;
  return ems;
}

const even = (value: number) => Math.ceil(value / 2) * 2;

/**
 * Sizes and places the watermark on the top rung's picture. A single line is made smaller
 * when it would not fit between the margins; the tiled pattern keeps the asked size.
 */
export function planBurnIn(watermark: RenderedWatermark, frame: { width: number; height: number }): BurnInPlan {
  const margin = Math.round(frame.height * marginFraction);
  const asked = Math.round(frame.height * watermarkFontFractions[watermark.size]);
  const tiled = watermark.position === 'diagonal-tiled';
  const fitting = Math.floor((frame.width - 2 * margin) / estimatedEms(watermark.text));
  const fontSize = Math.max(smallestFontPixels, tiled ? asked : Math.min(asked, fitting));
  const plan: BurnInPlan = {
    frame,
    position: watermark.position,
    opacity: watermark.opacity,
    fontSize,
    margin,
    borderWidth: Math.max(1, Math.round(fontSize / 16)),
    tiled: null,
  };
  if (!tiled) return plan;
  const canvas = even(Math.hypot(frame.width, frame.height));
  const gapSpaces = 8;
  // A space is about a third of an em; counted narrow, so a row is at least as wide as the canvas.
  const repeatPixels = (estimatedEms(watermark.text, narrowGlyphEms) + gapSpaces * 0.3) * fontSize;
  const lineSpacing = Math.round(fontSize * 2);
  return {
    ...plan,
    tiled: {
      canvas,
      columns: Math.ceil(canvas / repeatPixels) + 2,
      // DejaVu's line height is about 1.17 em; 1.1 rounds the row count up.
      rows: Math.ceil(canvas / (fontSize * 1.1 + lineSpacing)) + 1,
      gapSpaces,
      lineSpacing,
    },
  };
}

/** What drawtext reads from the text file: the line, or for diagonal-tiled the whole pattern. */
export function watermarkTextFile(text: string, plan: BurnInPlan): string {
  const tiled = plan.tiled;
  if (!tiled) return text;
  const gap = ' '.repeat(tiled.gapSpaces);
  const row = Array.from({ length: tiled.columns }, () => text).join(gap);
  const indent = ' '.repeat(Math.round(([...text].length + tiled.gapSpaces) / 2));
  return Array.from({ length: tiled.rows }, (_, i) => (i % 2 === 1 ? indent + row : row)).join('\n');
}

/**
 * A value for a filter option inside -filter_complex, escaped for both levels ffmpeg parses:
 * the option (`\`, `'`, `:`) and then the graph (`\`, `'`, `[`, `]`, `,`, `;`). This is
 * ffmpeg's own documented recipe (ffmpeg-filters, "Notes on filtergraph escaping").
 */
export function escapeFilterValue(value: string): string {
  const optionLevel = value.replace(/[\\':]/g, '\\$&');
  return optionLevel.replace(/[\\'[\],;]/g, '\\$&');
}

/** drawtext's x:y for each corner and the centre (w, h: the picture; tw, th: the text). */
function placement(plan: BurnInPlan): { x: string; y: string } {
  const m = plan.margin;
  switch (plan.position) {
    case 'top-left':
      return { x: `${m}`, y: `${m}` };
    case 'top-right':
      return { x: `w-tw-${m}`, y: `${m}` };
    case 'bottom-left':
      return { x: `${m}`, y: `h-th-${m}` };
    case 'bottom-right':
      return { x: `w-tw-${m}`, y: `h-th-${m}` };
    case 'center':
    case 'diagonal-tiled':
      return { x: '(w-tw)/2', y: '(h-th)/2' };
  }
}

export interface BurnInFiles {
  /** The file watermarkTextFile's content was written to. */
  textFile: string;
  fontFile: string;
}

/**
 * The filters that burn the watermark in, as a fragment to put between the decode (and its
 * deinterlacer) and the split into rungs: scale to the top rung's square-pixel size once
 * (so text drawn on an anamorphic or 4K master is not stretched or drawn at a size nobody
 * sees), then draw. A line or a centred text is drawn straight onto the picture; the tiled
 * pattern is drawn once on a transparent square, faded, turned, and laid over every frame.
 */
export function burnInFilters(plan: BurnInPlan, files: BurnInFiles): string {
  const { width, height } = plan.frame;
  const scaled = `scale=${width}:${height}:flags=bicubic,setsar=1,format=yuv420p`;
  const opacity = plan.opacity.toFixed(2);
  const { x, y } = placement(plan);
  const text = [
    `fontfile=${escapeFilterValue(files.fontFile)}`,
    `textfile=${escapeFilterValue(files.textFile)}`,
    'expansion=none',
    `fontsize=${plan.fontSize}`,
  ];
  if (!plan.tiled) {
    const colours = [`fontcolor=white@${opacity}`, `borderw=${plan.borderWidth}`, `bordercolor=black@${opacity}`];
    return `${scaled},drawtext=${[...text, ...colours, `x=${x}`, `y=${y}`, 'fix_bounds=1'].join(':')},`;
  }
  const { canvas, lineSpacing } = plan.tiled;
  const pattern = [
    `color=c=black@0:s=${canvas}x${canvas}:r=1:d=1`,
    'format=rgba',
    `drawtext=${[...text, 'fontcolor=white', `borderw=${plan.borderWidth}`, 'bordercolor=black', `line_spacing=${lineSpacing}`, `x=${x}`, `y=${y}`].join(':')}`,
    `colorchannelmixer=aa=${opacity}`,
    `rotate=a=-${tiledAngleDegrees}*PI/180:ow=${width}:oh=${height}:c=none`,
  ].join(',');
  // One frame of pattern: overlay repeats it over every frame of the picture (eof_action=repeat).
  return `${scaled}[wmpicture];${pattern}[wmpattern];[wmpicture][wmpattern]overlay=x=0:y=0,`;
}

/** Puts the burn-in right before the split of the decoded picture in a preview filter graph. */
export function spliceBurnIn(graph: string, videoIndex: number, fragment: string): string {
  const chains = graph.split(';');
  const at = chains.findIndex((chain) => chain.startsWith(`[0:${videoIndex}]`) && chain.includes('split='));
  if (at < 0) throw new Error(`the preview filter graph has no split of stream 0:${videoIndex} to burn into: ${graph}`);
  const chain = chains[at]!;
  const split = chain.indexOf('split=');
  chains[at] = `${chain.slice(0, split)}${fragment}${chain.slice(split)}`;
  return chains.join(';');
}

export interface WatermarkedSetPlan {
  preview: PreviewPlan;
  burnIn: BurnInPlan;
}

/** What a watermarked set of this master holds; refuses a master with no picture to mark. */
export function planWatermarkedSet(
  probe: MediaSummary,
  watermark: RenderedWatermark,
  segmentSeconds?: number,
): WatermarkedSetPlan {
  const preview = planPreview(probe, { skip: watermarkSkippedOutputs, segmentSeconds });
  const top = preview.renditions[0];
  if (preview.kind !== 'video' || !top) {
    throw errors.unprocessable(
      preview.kind === 'still'
        ? 'a watermarked set is built from moving pictures; this master is a still image'
        : 'a watermarked set needs a picture to burn the watermark into; this master has only sound',
      { kind: preview.kind },
    );
  }
  return { preview, burnIn: planBurnIn(watermark, { width: top.width, height: top.height }) };
}

export interface WatermarkArgsInput extends BurnInFiles {
  inputPath: string;
  outputDir: string;
  probe: MediaSummary;
  encoder: VideoEncoder;
  watermark: RenderedWatermark;
  segmentSeconds?: number;
}

/** The one ffmpeg command of a watermarked set: the preview command with the burn-in spliced in. */
export function buildWatermarkArgs(input: WatermarkArgsInput): string[] {
  const { preview, burnIn } = planWatermarkedSet(input.probe, input.watermark, input.segmentSeconds);
  const args = buildPreviewArgs({ ...input, skip: watermarkSkippedOutputs });
  const graphAt = args.indexOf('-filter_complex') + 1;
  args[graphAt] = spliceBurnIn(args[graphAt]!, preview.video!.index, burnInFilters(burnIn, input));
  return args;
}
