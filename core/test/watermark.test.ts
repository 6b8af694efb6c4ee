/**
 * Watermark rules as units: the spec's normalisation, the text a viewer's copy gets, the key
 * that names a watermarked set, where its files live and what an edge token scoped to it
 * reaches, its statuses, and how its job is sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../src/errors.ts';
import {
  isWatermarkKey,
  previewKeys,
  previewPathBelongsTo,
  watermarkKeys,
  watermarkPathBelongsTo,
} from '../src/keys.ts';
import { jobs, readJobPayload, sendJob } from '../src/jobs.ts';
import { loadConfig } from '../src/config.ts';
import { canTransition, watermarkTransitions } from '../src/transitions.ts';
import {
  normaliseWatermarkSpec,
  renderWatermark,
  renderWatermarkText,
  watermarkKey,
  watermarkLine,
  type RenderedWatermark,
  type WatermarkSpec,
} from '../src/watermark.ts';

const sha = 'a'.repeat(64);
const otherSha = 'b'.repeat(64);
const spec: WatermarkSpec = {
  template: '{share} · {viewer} · {date}',
  position: 'bottom-right',
  opacity: 0.5,
  size: 'medium',
};
const values = { share: 'Trailer v3', viewer: 'jane@client.example', date: new Date('2025-03-09T23:30:00-05:00') };

function badRequestOn(field: string) {
  return (err: unknown) => err instanceof AppError && err.code === 'bad_request' && err.details?.field === field;
}

describe('normaliseWatermarkSpec', () => {
  it('keeps a valid spec, as one clean line with the opacity to two decimals', () => {
    assert.deepEqual(normaliseWatermarkSpec({ ...spec, template: '  {share}\n\t·  {viewer}  ', opacity: 0.333333 }), {
      template: '{share} · {viewer}',
      position: 'bottom-right',
      opacity: 0.33,
      size: 'medium',
    });
  });

  it('refuses what the schema refuses, naming the field', () => {
    assert.throws(() => normaliseWatermarkSpec({ ...spec, template: 'x'.repeat(201) }), badRequestOn('template'));
    assert.throws(() => normaliseWatermarkSpec({ ...spec, template: '' }), badRequestOn('template'));
    assert.throws(() => normaliseWatermarkSpec({ ...spec, opacity: 0.05 }), badRequestOn('opacity'));
    assert.throws(() => normaliseWatermarkSpec({ ...spec, opacity: 1.5 }), badRequestOn('opacity'));
    assert.throws(() => normaliseWatermarkSpec({ ...spec, position: 'middle' as never }), badRequestOn('position'));
    assert.throws(() => normaliseWatermarkSpec({ ...spec, size: 'huge' as never }), badRequestOn('size'));
    assert.throws(() => normaliseWatermarkSpec({ ...spec, extra: 1 } as never), AppError);
    assert.equal(normaliseWatermarkSpec({ ...spec, template: 'x'.repeat(200) }).template.length, 200);
  });

  it('refuses a template of white space only, and placeholders it does not know', () => {
    assert.throws(() => normaliseWatermarkSpec({ ...spec, template: ' \n\t ' }), badRequestOn('template'));
    assert.throws(
      () => normaliseWatermarkSpec({ ...spec, template: 'for {client} only' }),
      (err: unknown) =>
        badRequestOn('template')(err) && /\{client\}.*\{share\}, \{viewer\}, \{date\}/.test(String(err)),
    );
    // Braces that are not a placeholder are text.
    assert.equal(normaliseWatermarkSpec({ ...spec, template: 'a {} b { c }' }).template, 'a {} b { c }');
  });
});

describe('renderWatermarkText', () => {
  it('fills the share, the viewer and the date as YYYY-MM-DD in UTC', () => {
    // 23:30 on 9 March in New York is 10 March in UTC.
    assert.equal(renderWatermarkText(spec.template, values), 'Trailer v3 · jane@client.example · 2025-03-10');
  });

  it('renders a missing viewer as nothing, and keeps one clean line', () => {
    assert.equal(renderWatermarkText('{share} {viewer} {date}', { ...values, viewer: null }), 'Trailer v3 2025-03-10');
    assert.equal(renderWatermarkText('{viewer}', { ...values, viewer: '  Jane\r\nDoe\t ' }), 'Jane Doe');
  });

  it('keeps hostile names as the text they are', () => {
    const hostile = `it's 50% off: \\ "x"`;
    assert.equal(
      renderWatermarkText('{share} / {viewer}', { ...values, share: hostile, viewer: '%{localtime}' }),
      `${hostile} / %{localtime}`,
    );
    // Filled in one pass: a name that looks like a placeholder is not filled again.
    assert.equal(renderWatermarkText('{share}', { ...values, share: '{date} {viewer}' }), '{date} {viewer}');
  });

  it('drops invisible characters that would change what a viewer reads', () => {
    // U+202E turns the rest of a line around on screen; U+200B is invisible.
    assert.equal(watermarkLine('Jane\u202Emoc.evil\u200B'), 'Janemoc.evil');
    assert.equal(watermarkLine('a\u2028b\u0000c'), 'a b c');
  });

  it('cuts long values and a long result, and refuses an empty one', () => {
    const long = renderWatermarkText('{viewer}', { ...values, viewer: 'v'.repeat(500) });
    assert.equal([...long].length, 100);
    assert.ok(long.endsWith('…'));
    const many = renderWatermarkText('{share}'.repeat(28), { ...values, share: 's'.repeat(100) });
    assert.equal([...many].length, 300);
    assert.throws(() => renderWatermarkText('{viewer}', { ...values, viewer: ' ' }), badRequestOn('template'));
    assert.throws(() => renderWatermarkText('{date}', { ...values, date: new Date('nope') }), badRequestOn('date'));
  });
});

describe('watermarkKey', () => {
  const rendered = renderWatermark(spec, values);

  it('is 32 hex digits, the same for equal watermarks of the same content', () => {
    const key = watermarkKey(sha, rendered);
    assert.ok(isWatermarkKey(key), key);
    assert.equal(watermarkKey(sha, { ...rendered }), key);
    // Specs that differ only in ways that burn in the same pixels give the same key.
    const sameLook = renderWatermark({ ...spec, template: ` ${spec.template}\n`, opacity: 0.500001 }, values);
    assert.equal(watermarkKey(sha, sameLook), key);
  });

  it('differs with the content, the text and every part of the placement', () => {
    const key = watermarkKey(sha, rendered);
    const variants: [string, string, RenderedWatermark][] = [
      ['content', otherSha, rendered],
      ['text', sha, { ...rendered, text: `${rendered.text}.` }],
      ['position', sha, { ...rendered, position: 'top-left' }],
      ['opacity', sha, { ...rendered, opacity: 0.51 }],
      ['size', sha, { ...rendered, size: 'large' }],
    ];
    for (const [what, variantSha, variant] of variants)
      assert.notEqual(watermarkKey(variantSha, variant), key, `another ${what}, another key`);
    assert.throws(() => watermarkKey('A'.repeat(64), rendered), /sha256/);
  });
});

describe('watermarked set keys', () => {
  const key = watermarkKey(sha, renderWatermark(spec, values));
  const prefix = `watermarks/${sha}/${key}/`;

  it('lays a set out under its own prefix, apart from the clean preview', () => {
    assert.equal(watermarkKeys.prefix(sha, key), prefix);
    assert.equal(watermarkKeys.hlsMaster(sha, key), `${prefix}hls/master.m3u8`);
    assert.equal(watermarkKeys.mp4(sha, key), `${prefix}preview.mp4`);
    assert.equal(watermarkKeys.poster(sha, key), `${prefix}poster.jpg`);
    assert.equal(watermarkKeys.file(sha, key, 'hls/720p/seg_00001.m4s'), `${prefix}hls/720p/seg_00001.m4s`);
    assert.throws(() => watermarkKeys.file(sha, key, '../hls/master.m3u8'));
    assert.throws(() => watermarkKeys.file(sha, key, '/etc/passwd'));
    assert.throws(() => watermarkKeys.prefix(sha, 'NOT-A-KEY'));
  });

  it('scopes a token to one set: none of the clean preview, no other watermark', () => {
    assert.ok(watermarkPathBelongsTo(`${prefix}hls/master.m3u8`, sha, key));
    assert.ok(watermarkPathBelongsTo(`${prefix}hls/1080p/seg_00000.m4s`, sha, key));
    assert.ok(watermarkPathBelongsTo(`${prefix}preview.mp4`, sha, key));
    const outside = [
      previewKeys.hlsMaster(sha),
      previewKeys.mp4(sha),
      prefix,
      `${prefix}hls/../../../hls/${sha}/master.m3u8`,
      `${prefix}hls//master.m3u8`,
      `${prefix}hls\\master.m3u8`,
      watermarkKeys.hlsMaster(sha, 'c'.repeat(32)),
      watermarkKeys.hlsMaster(otherSha, key),
    ];
    for (const path of outside) assert.equal(watermarkPathBelongsTo(path, sha, key), false, path);
    // And the other way round: a clean preview token never reaches a watermarked set.
    assert.equal(previewPathBelongsTo(watermarkKeys.hlsMaster(sha, key), sha), false);
    assert.equal(previewPathBelongsTo(watermarkKeys.mp4(sha, key), sha), false);
  });
});

describe('watermark statuses and job', () => {
  it('moves queued → building → ready | failed, and a failed set may be asked for again', () => {
    assert.ok(canTransition(watermarkTransitions.start, 'queued'));
    assert.ok(canTransition(watermarkTransitions.start, 'building'), 'a retried build starts again');
    assert.ok(canTransition(watermarkTransitions.publish, 'building'));
    assert.equal(canTransition(watermarkTransitions.publish, 'queued'), false);
    assert.equal(canTransition(watermarkTransitions.fail, 'ready'), false, 'a published set stays published');
    assert.ok(canTransition(watermarkTransitions.requeue, 'failed'));
    assert.equal(canTransition(watermarkTransitions.requeue, 'ready'), false);
  });

  it('sends one job per watermark, ahead of bulk work, with a payload the dead-letter handler does not take for a preview', async () => {
    const key = 'c'.repeat(32);
    const sent: { queue: string; data: object; options: Record<string, unknown> }[] = [];
    const boss = {
      send: async (queue: string, data: object, options: Record<string, unknown>) => {
        sent.push({ queue, data, options });
        return 'id';
      },
      insert: async () => null,
    };
    await sendJob(boss as never, 'watermark', { sha256: sha, key });
    assert.deepEqual(
      sent.map((s) => [s.queue, s.data, s.options.singletonKey, s.options.priority]),
      [['watermark', { sha256: sha, key }, `watermark:${key}`, 10]],
    );
    assert.equal(jobs.watermark.queueOptions.policy, 'stately');
    assert.throws(() => readJobPayload('watermark', { sha256: sha, key: 'short' }), /key/);
    assert.throws(() => readJobPayload('watermark', { sha256: sha, key, profile: 'default' }));
  });
});

describe('WATERMARK_FONT_FILE', () => {
  const env = { EDGE_SIGNING_KEY: 'e'.repeat(32), STORAGE_SIGNING_KEY: 's'.repeat(32) };
  it('defaults to DejaVu Sans and is not checked at start (only a watermark job needs it)', () => {
    assert.equal(loadConfig(env).watermarkFontFile, '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf');
    assert.equal(
      loadConfig({ ...env, WATERMARK_FONT_FILE: '/nowhere/font.ttf' }).watermarkFontFile,
      '/nowhere/font.ttf',
    );
  });
});
