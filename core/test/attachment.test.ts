import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attachmentDisposition, previewDownloadName } from '@mediavault/core/attachment';

test('an ASCII name is quoted and also given in RFC 8187 form', () => {
  assert.equal(attachmentDisposition('cut_v3.mp4'), `attachment; filename="cut_v3.mp4"; filename*=UTF-8''cut_v3.mp4`);
});

test('a name outside ASCII keeps its letters in filename*, an ASCII stand-in in filename', () => {
  assert.equal(
    attachmentDisposition('Chloé (final) 50%.mp4'),
    `attachment; filename="Chlo_ (final) 50%.mp4"; filename*=UTF-8''Chlo%C3%A9%20%28final%29%2050%25.mp4`,
  );
});

test('quotes, slashes, backslashes and control characters never reach the header', () => {
  const header = attachmentDisposition('a"b/c\\d\r\ne.mov');
  assert.equal(header, `attachment; filename="a_b_c_d__e.mov"; filename*=UTF-8''a_b_c_d__e.mov`);
  assert.doesNotMatch(header, /[\r\n]/);
  assert.equal(attachmentDisposition('  '), `attachment; filename="download"; filename*=UTF-8''download`);
});

test('a preview download is named after the original, with .mp4 for its extension', () => {
  assert.equal(previewDownloadName('A003_C001.mov'), 'A003_C001.mp4');
  assert.equal(previewDownloadName('reel.final.mxf'), 'reel.final.mp4');
  assert.equal(previewDownloadName('no_extension'), 'no_extension.mp4');
  assert.equal(previewDownloadName('.mov'), 'preview.mp4');
});
