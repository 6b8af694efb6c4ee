/**
 * The sound's waveform, from the peaks the worker publishes (audiowaveform / peaks.js JSON,
 * version 2: [min, max] pairs of 8-bit samples, worker/src/media/waveform.ts): a strip under the
 * picture, or the whole stage for a version without picture. A playhead follows the frame on
 * screen; pressing seeks. Folding the peaks into columns is pure.
 */

export interface WaveformPeaks {
  version: number;
  channels: number;
  sample_rate: number;
  samples_per_pixel: number;
  bits: number;
  length: number;
  data: number[];
}

/** Per column, the lowest and highest sample as a fraction of full scale (-1…1). */
export function foldPeaks(peaks: WaveformPeaks, columns: number): { min: Float32Array; max: Float32Array } {
  const min = new Float32Array(columns);
  const max = new Float32Array(columns);
  const scale = peaks.bits === 16 ? 32768 : 128;
  const pairs = Math.floor(peaks.data.length / 2);
  for (let column = 0; column < columns; column++) {
    const from = Math.floor((column * pairs) / columns);
    const to = Math.max(from + 1, Math.floor(((column + 1) * pairs) / columns));
    let low = 0;
    let high = 0;
    for (let pair = from; pair < Math.min(to, pairs); pair++) {
      low = Math.min(low, peaks.data[2 * pair]!);
      high = Math.max(high, peaks.data[2 * pair + 1]!);
    }
    min[column] = low / scale;
    max[column] = high / scale;
  }
  return { min, max };
}

/** Seconds of sound the peaks describe. */
export function peaksSeconds(peaks: WaveformPeaks): number {
  return (peaks.length * peaks.samples_per_pixel) / peaks.sample_rate;
}

export interface WaveformView {
  /** Moves the playhead to `fraction` of the sound (0…1). */
  showPlayhead(fraction: number): void;
}

/**
 * Draws the peaks at `url` into `root` (a canvas and a playhead), redrawn when the box changes
 * size; `seek` receives the fraction pressed. Null when there are no peaks to draw.
 */
export async function showWaveform(
  root: HTMLElement,
  url: string | null,
  seek: (fraction: number) => void,
): Promise<WaveformView | null> {
  if (!url) return null;
  let peaks: WaveformPeaks;
  try {
    const response = await fetch(url, { credentials: 'omit', referrerPolicy: 'no-referrer' });
    if (!response.ok) return null;
    peaks = (await response.json()) as WaveformPeaks;
  } catch {
    return null;
  }
  if (!Array.isArray(peaks.data) || peaks.data.length < 2) return null;
  const canvas = document.createElement('canvas');
  const playhead = document.createElement('div');
  playhead.className = 'waveform-playhead';
  root.replaceChildren(canvas, playhead);
  root.hidden = false;

  const draw = () => {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(root.clientWidth * ratio));
    const height = Math.max(1, Math.round(root.clientHeight * ratio));
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext('2d');
    if (!context) return;
    const { min, max } = foldPeaks(peaks, width);
    const middle = height / 2;
    context.fillStyle = getComputedStyle(root).color;
    for (let x = 0; x < width; x++) {
      const top = middle - max[x]! * middle;
      const bottom = middle - min[x]! * middle;
      context.fillRect(x, top, 1, Math.max(1, bottom - top));
    }
  };
  new ResizeObserver(draw).observe(root);
  root.addEventListener('pointerdown', (event) => {
    const box = root.getBoundingClientRect();
    seek(Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)));
  });
  return {
    showPlayhead(fraction) {
      playhead.style.left = `${(Math.min(1, Math.max(0, fraction)) * 100).toFixed(3)}%`;
    },
  };
}
