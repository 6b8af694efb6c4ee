/**
 * EBU R128 loudness as ffmpeg's ebur128 filter reports it. The filter runs inside the preview
 * command (so the audio is decoded once) and logs a summary when the filter graph closes; this
 * module reads that summary. Pure: tested on captured stderr text.
 */

export interface Loudness {
  /** Integrated (programme) loudness in LUFS. -70 is the absolute gate: digital silence. */
  integrated: number;
  /** Loudness range in LU. */
  lra: number;
  /**
   * Maximum true peak over all channels in dBTP (ebur128 labels it dBFS), from 4x oversampling.
   * -Infinity for digital silence, which JSON stores as null.
   */
  truePeak: number;
}

/** `-loglevel` the preview command needs so the summary reaches stderr (level tags mark real errors). */
export const loudnessLogLevel = 'level+info';

/**
 * The values of the last summary in an ffmpeg log, at the precision ebur128 prints them (0.1).
 * ffmpeg may configure a graph once before the first frame and again when it starts; the
 * throw-away first graph logs an empty summary (I: -70.0 with a 0.0 threshold), so the last
 * summary is the real one. Null when the log holds no complete summary.
 */
export function parseEbur128Summary(log: string): Loudness | null {
  const start = log.lastIndexOf('Summary:');
  if (start < 0) return null;
  const summary = log.slice(start);
  const integrated = valueAfter(summary, /Integrated loudness:\s*\n\s*I:\s*(\S+)\s+LUFS/);
  const lra = valueAfter(summary, /Loudness range:\s*\n\s*LRA:\s*(\S+)\s+LU\b/);
  const truePeak = valueAfter(summary, /True peak:\s*\n\s*Peak:\s*(\S+)\s+dB(?:FS|TP)/);
  if (integrated === null || lra === null || truePeak === null) return null;
  return { integrated, lra, truePeak };
}

function valueAfter(text: string, pattern: RegExp): number | null {
  const match = pattern.exec(text);
  if (!match) return null;
  const raw = match[1]!;
  if (raw === '-inf') return -Infinity;
  if (raw === 'inf') return Infinity;
  const value = Number(raw);
  return Number.isFinite(value) ? value : null;
}
