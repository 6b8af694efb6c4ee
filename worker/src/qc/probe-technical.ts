/**
 * The I/O edge of QC metadata: runs MediaInfo and ffprobe (through run.ts) on a local file
 * and merges their reports with the pure technicalMetadata().
 */
import { errors } from '@mediavault/core/errors';
import type { FfprobeReport } from '../media/ffprobe-report.ts';
import { MediaToolError, runFfprobe, runMediainfo, type RunOptions } from '../media/run.ts';
import { technicalMetadata, type TechnicalMetadata } from './technical-metadata.ts';

/** Both raw reports, for callers that also want to look for AS-11 or keep MediaInfo's full output. */
export interface TechnicalReports {
  mediainfo: unknown;
  ffprobe: FfprobeReport;
}

/**
 * ffprobe failing on the file is the input's fault (unprocessable, like probeFile). MediaInfo
 * failing on a file ffprobe reads leaves ffprobe's view alone, so one tool's quirk does not
 * lose the metadata; a missing binary stays `unavailable` (a machine problem, retried).
 */
export async function readTechnicalReports(path: string, options: RunOptions = {}): Promise<TechnicalReports> {
  const [ffprobe, mediainfo] = await Promise.all([
    runFfprobe(path, options).catch((err: unknown) => {
      if (err instanceof MediaToolError && err.exitCode !== null) {
        throw errors.unprocessable(`not readable as media: ${err.lastLines(2)}`, { path, stderrTail: err.stderrTail });
      }
      throw err;
    }),
    runMediainfo(path, options).catch((err: unknown) => {
      // A MediaInfo crash or unparsable report on a file ffprobe reads: keep ffprobe's view.
      if (err instanceof MediaToolError || err instanceof SyntaxError) return null;
      throw err;
    }),
  ]);
  return { mediainfo, ffprobe };
}

export async function probeTechnicalMetadata(path: string, options: RunOptions = {}): Promise<TechnicalMetadata> {
  const reports = await readTechnicalReports(path, options);
  return technicalMetadata(reports.mediainfo, reports.ffprobe);
}
