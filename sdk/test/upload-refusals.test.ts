/**
 * Which refusals, met while the api still has an upload as uploading, may be another run's
 * completion under way (then the SDK waits for it instead of failing the file). The api's fs
 * store answers a part URL request with 404 once a completion has started assembling the parts:
 * two `mediavault upload` runs of the same file failed on that (cli/test/concurrent-upload.test.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MediavaultApiError } from '../src/errors.ts';
import { mayBeCompletionUnderWay } from '../src/upload.ts';

const refusal = (operation: string, status: number) =>
  new MediavaultApiError({ operation, status, code: status === 404 ? 'not_found' : 'invalid_state', message: 'x' });

test('a part PUT or a part URL refused as unknown, or a failed completion, may be a completion under way', () => {
  assert.equal(mayBeCompletionUnderWay(refusal('uploadPart', 404)), true);
  assert.equal(mayBeCompletionUnderWay(refusal('presignUploadParts', 404)), true);
  assert.equal(mayBeCompletionUnderWay(refusal('completeUpload', 409)), true);
  assert.equal(mayBeCompletionUnderWay(refusal('completeUpload', 400)), true);
});

test('other refusals are this run’s failures', () => {
  assert.equal(mayBeCompletionUnderWay(refusal('uploadPart', 403)), false, 'an expired part URL');
  assert.equal(mayBeCompletionUnderWay(refusal('presignUploadParts', 400)), false, 'a part out of range');
  assert.equal(mayBeCompletionUnderWay(refusal('presignUpload', 404)), false, 'no such project');
  assert.equal(mayBeCompletionUnderWay(refusal('getUpload', 404)), false);
});
