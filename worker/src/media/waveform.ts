/**
 * Waveform peaks in the audiowaveform / peaks.js JSON format (version 2, 8-bit, one merged
 * channel). The preview command writes the audio, mixed to mono and resampled to a low rate,
 * as raw signed 8-bit samples; the peaks are folded from that stream chunk by chunk, so memory
 * stays constant however long the programme is.
 */
import { createReadStream } from 'node:fs';

/** Low enough to keep the raw intermediate small (8 kB/s), high enough for 100 peaks a second. */
export const waveformSampleRate = 8000;
/** 10 ms per pixel: peaks.js can zoom out from here, never in. */
export const waveformSamplesPerPixel = 80;

export interface WaveformData {
  version: 2;
  channels: 1;
  sample_rate: number;
  samples_per_pixel: number;
  bits: 8;
  /** Number of [min, max] pairs in data. */
  length: number;
  data: number[];
}

/** Min/max per window of samplesPerPixel signed 8-bit samples, fed in chunks of any size. */
export class PeakFolder {
  readonly samplesPerPixel: number;
  private readonly data: number[] = [];
  private min = 127;
  private max = -128;
  private inWindow = 0;

  constructor(samplesPerPixel: number) {
    if (!(Number.isInteger(samplesPerPixel) && samplesPerPixel > 0))
      throw new RangeError('samplesPerPixel must be a positive integer');
    this.samplesPerPixel = samplesPerPixel;
  }

  push(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const sample = (chunk[i]! << 24) >> 24; // reinterpret the byte as int8
      if (sample < this.min) this.min = sample;
      if (sample > this.max) this.max = sample;
      if (++this.inWindow === this.samplesPerPixel) this.flushWindow();
    }
  }

  /** The [min, max, min, max, …] list, including a last partial window. */
  finish(): number[] {
    if (this.inWindow > 0) this.flushWindow();
    return this.data;
  }

  private flushWindow(): void {
    this.data.push(this.min, this.max);
    this.min = 127;
    this.max = -128;
    this.inWindow = 0;
  }
}

export function waveformJson(
  peaks: number[],
  sampleRate = waveformSampleRate,
  samplesPerPixel = waveformSamplesPerPixel,
): WaveformData {
  return {
    version: 2,
    channels: 1,
    sample_rate: sampleRate,
    samples_per_pixel: samplesPerPixel,
    bits: 8,
    length: peaks.length / 2,
    data: peaks,
  };
}

/** Reads a raw s8 mono file as a stream and folds it into peaks. */
export async function peaksFromRawS8(path: string, samplesPerPixel = waveformSamplesPerPixel): Promise<WaveformData> {
  const folder = new PeakFolder(samplesPerPixel);
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    folder.push(chunk as Buffer);
  }
  return waveformJson(folder.finish(), waveformSampleRate, samplesPerPixel);
}
