/**
 * AMWA AS-11 recognition from MXF descriptive metadata, as MediaInfo reports it.
 *
 * An AS-11 file (e.g. a UK DPP delivery) carries DMS-AS-11 frameworks in its MXF header:
 * the AS-11 Core framework (titles, shim, audio track layout, captions), the UK DPP
 * framework (production number, synopsis, PSE pass, contact…) and the segmentation
 * framework. MediaInfo lists each as an "Other" track whose Format is "AS-11 Core",
 * "AS-11 UKDPP" or "AS-11 Segmentation"; the properties are non-standard MediaInfo fields,
 * which its JSON output places under the track's "extra" object (both places are read).
 *
 * ffprobe cannot tell: FFmpeg's MXF demuxer skips descriptive metadata frameworks, so an
 * ffprobe report always answers as11: false with that reason.
 *
 * Not verified against a real AS-11 file (none can be made here without bmx/raw2bmx); the
 * tests use MediaInfo-shaped JSON written from MediaInfo's export code and the bmx property names.
 */
import { mediainfoTracks } from '../qc/technical-metadata.ts';
import { isFfprobeReport } from '../media/ffprobe-report.ts';

export interface As11Core {
  seriesTitle: string | null;
  programmeTitle: string | null;
  episodeTitleNumber: string | null;
  /** e.g. "UK DPP HD". */
  shimName: string | null;
  shimVersion: string | null;
  /** e.g. "EBU R 48: 2a" or "EBU R 123: 16c". */
  audioTrackLayout: string | null;
  primaryAudioLanguage: string | null;
  closedCaptionsPresent: boolean | null;
  closedCaptionsType: string | null;
  closedCaptionsLanguage: string | null;
}

export interface As11Detection {
  as11: boolean;
  /** What the answer rests on, for the QC report. */
  evidence: string;
  core?: As11Core;
  /**
   * UK DPP framework properties with camel-cased MediaInfo names (productionNumber, synopsis,
   * originator, copyrightYear, genre, distributor, pictureRatio, fpaPass, audioLoudnessStandard,
   * lineUpStart, identClockStart, totalNumberOfParts, totalProgrammeDuration, completionDate…).
   */
  ukDpp?: Record<string, string>;
  /** Segmentation framework properties, camel-cased (partNumber, partTotal…). */
  segmentation?: Record<string, string>;
}

/** MediaInfo fields every track has; whatever else an AS-11 track carries is framework data. */
const standardFields = new Set([
  '@type',
  '@typeorder',
  'Count',
  'StreamCount',
  'StreamKind',
  'StreamKind_String',
  'StreamKindID',
  'StreamKindPos',
  'StreamOrder',
  'ID',
  'ID_String',
  'UniqueID',
  'Type',
  'Format',
  'Format_String',
  'Title',
  'extra',
]);

export function detectAs11(report: unknown): As11Detection {
  if (isFfprobeReport(report)) {
    return {
      as11: false,
      evidence: 'ffprobe does not read MXF descriptive metadata; probe with MediaInfo to detect AS-11',
    };
  }
  const tracks = mediainfoTracks(report);
  if (tracks.length === 0) return { as11: false, evidence: 'no MediaInfo report' };
  const general = tracks.find((t) => t['@type'] === 'General');
  const isMxf = typeof general?.Format === 'string' && general.Format === 'MXF';
  const frameworks = tracks.filter(
    (t) => t['@type'] === 'Other' && typeof t.Format === 'string' && /^AS-11\b/i.test(t.Format),
  );
  const coreTrack = frameworks.find((t) => /core/i.test(String(t.Format)));
  if (!coreTrack) {
    return {
      as11: false,
      evidence: isMxf ? 'MXF without an AS-11 Core descriptive metadata framework' : 'not an MXF file',
    };
  }
  const core = frameworkFields(coreTrack);
  const detection: As11Detection = {
    as11: true,
    evidence: `AS-11 Core framework in the MXF header${core.ShimName ? ` (shim "${core.ShimName}")` : ''}`,
    core: {
      seriesTitle: core.SeriesTitle ?? null,
      programmeTitle: core.ProgrammeTitle ?? null,
      episodeTitleNumber: core.EpisodeTitleNumber ?? null,
      shimName: core.ShimName ?? null,
      shimVersion: core.ShimVersion ?? null,
      audioTrackLayout: core.AudioTrackLayout ?? null,
      primaryAudioLanguage: core.PrimaryAudioLanguage ?? null,
      closedCaptionsPresent: yesNo(core.ClosedCaptionsPresent),
      closedCaptionsType: core.ClosedCaptionsType ?? null,
      closedCaptionsLanguage: core.ClosedCaptionsLanguage ?? null,
    },
  };
  const ukDppTrack = frameworks.find((t) => /dpp/i.test(String(t.Format)));
  if (ukDppTrack) detection.ukDpp = camelCased(frameworkFields(ukDppTrack));
  const segmentationTrack = frameworks.find((t) => /segmentation/i.test(String(t.Format)));
  if (segmentationTrack) detection.segmentation = camelCased(frameworkFields(segmentationTrack));
  return detection;
}

/** The framework's own properties: top-level non-standard fields plus the "extra" object. */
function frameworkFields(track: Record<string, unknown>): Record<string, string> {
  const fields: Record<string, string> = {};
  const extra = typeof track.extra === 'object' && track.extra !== null ? (track.extra as Record<string, unknown>) : {};
  for (const [key, value] of [...Object.entries(track), ...Object.entries(extra)]) {
    if (standardFields.has(key) || key.endsWith('_String') || typeof value !== 'string' || value.trim() === '')
      continue;
    fields[key] = value.trim();
  }
  return fields;
}

function camelCased(fields: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    const name = key === '3D' ? 'threeD' : key === '3DType' ? 'threeDType' : key.charAt(0).toLowerCase() + key.slice(1);
    out[name] = value;
  }
  return out;
}

function yesNo(value: string | undefined): boolean | null {
  if (value === undefined) return null;
  if (/^(yes|true|1)$/i.test(value)) return true;
  if (/^(no|false|0)$/i.test(value)) return false;
  return null;
}
