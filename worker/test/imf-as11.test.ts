/**
 * AS-11 detection on MediaInfo-shaped JSON.
 *
 * NOT VERIFIED ON A REAL AS-11 FILE: none can be produced here (ffmpeg writes no DMS-AS-11
 * frameworks; bmx/raw2bmx is not installed). The report below is handwritten in the shape of
 * MediaInfo's JSON: AS-11 frameworks are "Other" tracks with Format "AS-11 Core" / "AS-11 UKDPP"
 * / "AS-11 Segmentation" (the names MediaInfo's EBUCore export looks up), and their properties
 * are non-standard fields, which MediaInfo's JSON writer puts under "extra". Property names follow
 * bmx's AS-11 helper and MediaInfo's export (FpaPass, FpaManufacturer…).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectAs11 } from '../src/imf/as11.ts';

const as11Report = {
  creatingLibrary: { name: 'MediaInfoLib', version: '23.04' },
  media: {
    '@ref': 'PROG_1234_001.mxf',
    track: [
      {
        '@type': 'General',
        Format: 'MXF',
        Format_Profile: 'OP-1a',
        Format_Commercial_IfAny: 'AS-11 UK DPP HD',
        Duration: '1800.000',
      },
      {
        '@type': 'Video',
        Format: 'AVC',
        Format_Profile: 'High 4:2:2 Intra',
        Format_Level: '4.1',
        Width: '1920',
        Height: '1080',
        ScanType: 'Interlaced',
      },
      { '@type': 'Audio', '@typeorder': '1', Format: 'PCM', Channels: '1', SamplingRate: '48000', BitDepth: '24' },
      {
        '@type': 'Other',
        '@typeorder': '2',
        Type: 'Metadata',
        Format: 'AS-11 Core',
        extra: {
          SeriesTitle: 'Mediavault Tests',
          ProgrammeTitle: 'The Pilot',
          EpisodeTitleNumber: 'Episode 1',
          ShimName: 'UK DPP HD',
          ShimVersion: '1.1',
          AudioTrackLayout: 'EBU R 48: 2a',
          PrimaryAudioLanguage: 'eng',
          ClosedCaptionsPresent: 'No',
        },
      },
      {
        '@type': 'Other',
        '@typeorder': '3',
        Type: 'Metadata',
        Format: 'AS-11 Segmentation',
        extra: { PartNumber: '1', PartTotal: '2' },
      },
      {
        '@type': 'Other',
        '@typeorder': '4',
        Type: 'Metadata',
        Format: 'AS-11 UKDPP',
        extra: {
          ProductionNumber: 'PROG/1234/001',
          Synopsis: 'A test programme.',
          Originator: 'Mediavault Post',
          CopyrightYear: '2024',
          Genre: 'Drama',
          Distributor: 'Mediavault',
          PictureRatio: '16:9',
          '3D': 'No',
          FpaPass: 'Yes',
          FpaManufacturer: 'Hardware Corp',
          FpaVersion: '2.0',
          AudioLoudnessStandard: 'EBU R 128',
          LineUpStart: '09:59:30:00',
          IdentClockStart: '09:59:50:00',
          TotalNumberOfParts: '2',
          TotalProgrammeDuration: '00:30:00:00',
          CompletionDate: '2024-05-01',
          ContactEmail: 'qc@example.com',
        },
      },
    ],
  },
};

describe('detectAs11', () => {
  it('recognizes AS-11 Core and reads the UK DPP framework', () => {
    const detection = detectAs11(as11Report);
    assert.equal(detection.as11, true);
    assert.equal(detection.evidence, 'AS-11 Core framework in the MXF header (shim "UK DPP HD")');
    assert.deepEqual(detection.core, {
      seriesTitle: 'Mediavault Tests',
      programmeTitle: 'The Pilot',
      episodeTitleNumber: 'Episode 1',
      shimName: 'UK DPP HD',
      shimVersion: '1.1',
      audioTrackLayout: 'EBU R 48: 2a',
      primaryAudioLanguage: 'eng',
      closedCaptionsPresent: false,
      closedCaptionsType: null,
      closedCaptionsLanguage: null,
    });
    assert.equal(detection.ukDpp?.productionNumber, 'PROG/1234/001');
    assert.equal(detection.ukDpp?.fpaPass, 'Yes');
    assert.equal(detection.ukDpp?.threeD, 'No');
    assert.equal(detection.ukDpp?.totalProgrammeDuration, '00:30:00:00');
    assert.equal(detection.ukDpp?.format, undefined, 'MediaInfo bookkeeping fields are not framework data');
    assert.deepEqual(detection.segmentation, { partNumber: '1', partTotal: '2' });
  });

  it('reads framework fields placed at the top level of the track too', () => {
    const flattened = structuredClone(as11Report);
    const core = flattened.media.track[3] as Record<string, unknown>;
    Object.assign(core, core.extra);
    delete core.extra;
    assert.equal(detectAs11(flattened).core?.programmeTitle, 'The Pilot');
  });

  it('a plain MXF, a MOV and an ffprobe report are not AS-11, each for its stated reason', () => {
    const plainMxf = {
      media: {
        track: [
          { '@type': 'General', Format: 'MXF', Format_Profile: 'OP-1a' },
          { '@type': 'Other', Type: 'Time code', Format: 'MXF TC' },
        ],
      },
    };
    assert.deepEqual(detectAs11(plainMxf), {
      as11: false,
      evidence: 'MXF without an AS-11 Core descriptive metadata framework',
    });
    assert.deepEqual(detectAs11({ media: { track: [{ '@type': 'General', Format: 'MPEG-4' }] } }), {
      as11: false,
      evidence: 'not an MXF file',
    });
    assert.match(
      detectAs11({ format: { format_name: 'mxf' }, streams: [] }).evidence,
      /ffprobe does not read MXF descriptive metadata/,
    );
    assert.deepEqual(detectAs11(null), { as11: false, evidence: 'no MediaInfo report' });
    assert.deepEqual(detectAs11('garbage'), { as11: false, evidence: 'no MediaInfo report' });
  });
});
