/**
 * The one reader of ffprobe's JSON: its shape check, its rationals and its start timecode,
 * and that the probe summary (what the reviewer page is given) and the QC metadata read
 * the same start timecode from the same report.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frameToTimecode, parseRate, parseStartTimecode } from '@mediavault/core/timecode';
import {
  ffprobeStartTimecode,
  parseFfprobeReport,
  parseRational,
  type FfprobeReport,
} from '../src/media/ffprobe-report.ts';
import { summarizeProbe } from '../src/media/probe.ts';
import { technicalMetadata } from '../src/qc/technical-metadata.ts';

const mov = (streams: FfprobeReport['streams'], formatTags?: Record<string, string>): FfprobeReport => ({
  format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', ...(formatTags ? { tags: formatTags } : {}) },
  streams,
});
const ntscVideo = {
  index: 0,
  codec_type: 'video',
  codec_name: 'h264',
  width: 320,
  height: 180,
  r_frame_rate: '30000/1001',
  avg_frame_rate: '30000/1001',
};

describe('parseFfprobeReport', () => {
  it('takes a report with a format section and a list of streams', () => {
    const report = { format: { format_name: 'wav' }, streams: [{ index: 0, codec_type: 'audio', channels: 2 }] };
    assert.equal(parseFfprobeReport(report), report);
  });

  it('refuses what is not an ffprobe report, as unprocessable', () => {
    for (const json of [{}, null, 'text', [], { format: {}, streams: 'nope' }, { format: null, streams: [] }]) {
      assert.throws(() => parseFfprobeReport(json), { code: 'unprocessable' }, JSON.stringify(json));
    }
    assert.throws(() => parseFfprobeReport({ format: {}, streams: [null] }), { code: 'unprocessable' });
  });
});

describe('parseRational', () => {
  it('reduces rates and aspect ratios and rejects unknowns', () => {
    assert.deepEqual(parseRational('50/2'), { num: 25, den: 1 });
    assert.deepEqual(parseRational('64:45'), { num: 64, den: 45 });
    assert.equal(parseRational('0/0'), null);
    assert.equal(parseRational('0:1'), null);
    assert.equal(parseRational('N/A'), null);
    assert.equal(parseRational(undefined), null);
  });
});

describe('ffprobeStartTimecode', () => {
  it('reads drop-frame from the separator, with core’s parser', () => {
    const found = ffprobeStartTimecode(mov([{ ...ntscVideo, tags: { timecode: '01:00:00;00' } }]));
    assert.deepEqual(found, { timecode: { startTimecode: '01:00:00;00', dropFrame: true }, source: 'tag' });
    // What the reviewer page counts from it: frame 17,982 of 29.97 DF from 01:00:00;00.
    assert.equal(frameToTimecode(17982, parseRate('30000/1001'), found!.timecode), '01:10:00;00');
  });

  it('writes the label the way core does, whatever separator the muxer used', () => {
    const found = ffprobeStartTimecode(mov([{ ...ntscVideo, tags: { timecode: '01:00:00.00' } }]));
    assert.deepEqual(found?.timecode, parseStartTimecode('01:00:00;00'));
  });

  it('takes the tmcd track first, then the container, then the first stream tag', () => {
    const tmcd = { index: 2, codec_type: 'data', codec_tag_string: 'tmcd', tags: { timecode: '02:00:00:00' } };
    const tagged = { ...ntscVideo, tags: { timecode: '03:00:00:00' } };
    const label = (report: FfprobeReport) => ffprobeStartTimecode(report)?.timecode.startTimecode;
    assert.equal(label(mov([tagged, tmcd], { timecode: '01:00:00:00' })), '02:00:00:00');
    assert.equal(label(mov([tagged], { timecode: '01:00:00:00' })), '01:00:00:00');
    assert.equal(label(mov([tagged])), '03:00:00:00');
    assert.equal(label(mov([ntscVideo])), undefined);
  });

  it('an MXF container timecode is the material package’s; tags that are not labels are passed over', () => {
    const mxf: FfprobeReport = {
      format: { format_name: 'mxf', tags: { timecode: '10:00:00:00' } },
      streams: [{ ...ntscVideo, r_frame_rate: '25/1', avg_frame_rate: '25/1' }],
    };
    assert.equal(ffprobeStartTimecode(mxf)?.source, 'mxf');
    const junk = mov([{ ...ntscVideo, tags: { timecode: '10:00:00:00' } }], { timecode: 'none' });
    assert.deepEqual(ffprobeStartTimecode(junk)?.timecode.startTimecode, '10:00:00:00');
    assert.equal(ffprobeStartTimecode(mov([ntscVideo], { timecode: '25:00:00:00' })), null);
  });

  it('the probe summary and the QC metadata give the same start timecode', () => {
    const report = mov(
      [
        { ...ntscVideo, tags: { timecode: '00:59:00;02' } },
        { index: 1, codec_type: 'data', codec_tag_string: 'tmcd', tags: { timecode: '01:00:00;00' } },
      ],
      { timecode: '00:00:00:00' },
    );
    assert.equal(summarizeProbe(report).startTimecode, '01:00:00;00');
    assert.equal(technicalMetadata(null, report).format.startTimecode, '01:00:00;00');
  });
});
