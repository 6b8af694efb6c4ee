/**
 * The IMF Composition Playlist (SMPTE ST 2067-3): what the composition is called, its edit
 * rate, how long it runs and which track files it plays.
 */
import type { Rational } from '../media/ffprobe-report.ts';
import { DocumentReader, child, children, imfDocumentKind, parseImfDocument } from './xml-document.ts';

export interface CplResource {
  /** Resource Id (urn:uuid). */
  id: string;
  /** The MXF track file this resource plays (its package UUID, the same Id the PKL lists). */
  trackFileId: string;
  editRate: Rational;
  /** Edit units played once: SourceDuration, or IntrinsicDuration − EntryPoint. */
  durationEditUnits: number;
  repeatCount: number;
}

export interface CplSequence {
  /** Local element name: MainImageSequence, MainAudioSequence, SubtitlesSequence, MarkerSequence… */
  kind: string;
  trackId: string | null;
  resources: CplResource[];
}

export interface Cpl {
  id: string;
  title: string;
  editRate: Rational;
  /** Running time in the CPL's edit units, from the main image sequence (see cplDuration). */
  durationFrames: number;
  durationSeconds: number;
  /** Every track file referenced by any sequence, in order of first reference, without duplicates. */
  trackFileIds: string[];
  segments: { id: string; sequences: CplSequence[] }[];
  /** ST 2067-3 namespace year, e.g. "2016". */
  namespace: string;
}

/** A lone XML file is an IMF CPL when its root is CompositionPlaylist in an ST 2067-3 namespace. */
export function isCpl(xml: string): boolean {
  return imfDocumentKind(xml) === 'CompositionPlaylist';
}

export function parseCpl(xml: string, source?: string): Cpl {
  const root = parseImfDocument(xml, 'CompositionPlaylist', source);
  const read = new DocumentReader('CompositionPlaylist', source);
  const editRate = read.rational(root, 'EditRate', 'EditRate');
  const segmentNodes = children(child(root, 'SegmentList'), 'Segment');
  if (segmentNodes.length === 0) read.fail('has no Segment in its SegmentList', { element: 'SegmentList' });

  const segments = segmentNodes.map((segment, s) => {
    const sequenceList = child(segment, 'SequenceList');
    const sequences: CplSequence[] = [];
    if (typeof sequenceList === 'object' && sequenceList !== null) {
      for (const [kind, value] of Object.entries(sequenceList as Record<string, unknown>)) {
        if (kind.startsWith('@')) continue;
        // Two sequences of one kind in a segment (e.g. two audio languages) parse as an array.
        for (const sequence of Array.isArray(value) ? value : [value]) {
          sequences.push(readSequence(read, kind, sequence, editRate, `Segment[${s + 1}]/${kind}`));
        }
      }
    }
    return { id: read.uuid(segment, 'Id', `Segment[${s + 1}]/Id`), sequences };
  });

  const durationFrames = cplDuration(segments, editRate);
  const trackFileIds = [
    ...new Set(
      segments.flatMap((segment) => segment.sequences.flatMap((seq) => seq.resources.map((r) => r.trackFileId))),
    ),
  ];
  const namespaceYear = /2067-3\/(\d{4})/.exec(xml)?.[1] ?? 'unknown';
  return {
    id: read.uuid(root, 'Id', 'Id'),
    title: read.text(root, 'ContentTitle', 'ContentTitle'),
    editRate,
    durationFrames,
    durationSeconds: (durationFrames * editRate.den) / editRate.num,
    trackFileIds,
    segments,
    namespace: namespaceYear,
  };
}

function readSequence(
  read: DocumentReader,
  kind: string,
  node: unknown,
  cplEditRate: Rational,
  path: string,
): CplSequence {
  const resources = children(child(node, 'ResourceList'), 'Resource')
    // Marker resources carry markers, not track files.
    .filter((resource) => read.optionalText(resource, 'TrackFileId') !== null)
    .map((resource, r) => {
      const at = `${path}/Resource[${r + 1}]`;
      const intrinsic = read.count(resource, 'IntrinsicDuration', `${at}/IntrinsicDuration`);
      const entryPoint = read.optionalCount(resource, 'EntryPoint', `${at}/EntryPoint`) ?? 0;
      const sourceDuration = read.optionalCount(resource, 'SourceDuration', `${at}/SourceDuration`);
      if (entryPoint > intrinsic)
        read.fail(`has ${at}/EntryPoint ${entryPoint} past its IntrinsicDuration ${intrinsic}`, {
          element: `${at}/EntryPoint`,
        });
      const durationEditUnits = sourceDuration ?? intrinsic - entryPoint;
      if (entryPoint + durationEditUnits > intrinsic) {
        read.fail(
          `has ${at} playing past its IntrinsicDuration (EntryPoint ${entryPoint} + SourceDuration ${durationEditUnits} > ${intrinsic})`,
          {
            element: `${at}/SourceDuration`,
          },
        );
      }
      return {
        id: read.uuid(resource, 'Id', `${at}/Id`),
        trackFileId: read.uuid(resource, 'TrackFileId', `${at}/TrackFileId`),
        // A resource without its own EditRate plays at the composition's.
        editRate: read.optionalText(resource, 'EditRate')
          ? read.rational(resource, 'EditRate', `${at}/EditRate`)
          : cplEditRate,
        durationEditUnits,
        repeatCount: read.optionalCount(resource, 'RepeatCount', `${at}/RepeatCount`) ?? 1,
      };
    });
  return { kind, trackId: read.optionalText(node, 'TrackId'), resources };
}

/**
 * The composition's running time in its own edit units: per segment, the main image
 * sequence's resources summed (each duration × RepeatCount, converted from the resource's edit
 * rate when it differs); an image-less composition uses its first audio sequence. Segments
 * are sequential, so their durations add.
 */
export function cplDuration(segments: Cpl['segments'], editRate: Rational): number {
  let total = 0;
  for (const segment of segments) {
    const timing =
      segment.sequences.find((s) => s.kind === 'MainImageSequence') ??
      segment.sequences.find((s) => s.kind === 'MainAudioSequence') ??
      segment.sequences.find((s) => s.resources.length > 0);
    if (!timing) continue;
    for (const resource of timing.resources) {
      const units = resource.durationEditUnits * resource.repeatCount;
      const sameRate = resource.editRate.num * editRate.den === editRate.num * resource.editRate.den;
      total += sameRate
        ? units
        : Math.round((units * resource.editRate.den * editRate.num) / (resource.editRate.num * editRate.den));
    }
  }
  return total;
}
