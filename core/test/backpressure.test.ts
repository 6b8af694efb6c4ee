/** The preview backpressure rules: judged by the work waiting, never by how long a job has waited. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { previewPressure, waitingWorkSeconds } from '../src/backpressure.ts';

const threshold = 120;

test('the work waiting is the queued builds at the typical build time, shared by the builds running', () => {
  assert.equal(waitingWorkSeconds({ queued: 50, running: 1, typicalBuildSeconds: 1.5 }), 75);
  assert.equal(waitingWorkSeconds({ queued: 50, running: 4, typicalBuildSeconds: 1.5 }), 18.75);
  // No worker running now: the queue still drains one build at a time once one comes back.
  assert.equal(waitingWorkSeconds({ queued: 10, running: 0, typicalBuildSeconds: 2 }), 20);
  assert.equal(waitingWorkSeconds({ queued: 0, running: 2, typicalBuildSeconds: 30 }), 0);
});

test('before any build was measured there is nothing to judge by: the builds run whole', () => {
  for (const typicalBuildSeconds of [null, undefined, 0]) {
    const pressure = previewPressure({ queued: 5000, running: 1, typicalBuildSeconds }, threshold);
    assert.deepEqual(pressure, { overloaded: false, retryAfterSeconds: 5, drop: [] });
  }
});

test('20 small uploads whose oldest job waited out idle polls drop nothing (issue 12, point 13)', () => {
  // What the store answers, with the age that used to decide: 8.5 minutes, nearly all idle.
  const backlog = { queued: 18, oldestAgeSeconds: 510, running: 1, typicalBuildSeconds: 1.2 };
  assert.deepEqual(previewPressure(backlog, threshold), { overloaded: false, retryAfterSeconds: 11, drop: [] });
});

test('past the threshold of waiting work builds skip sprites and waveform; past 3× also the MP4 and rungs above 720p', () => {
  const build = (queued: number) => previewPressure({ queued, running: 2, typicalBuildSeconds: 4 }, threshold).drop;
  assert.deepEqual(build(60), [], '120 s of work is not past 120 s');
  assert.deepEqual(build(61), ['sprites', 'waveform']);
  assert.deepEqual(build(180), ['sprites', 'waveform']);
  assert.deepEqual(build(181), ['sprites', 'waveform', 'mp4', 'renditions-above-720']);
});

test('more workers drain the same queue sooner, so the same backlog asks for less', () => {
  const one = previewPressure({ queued: 100, running: 1, typicalBuildSeconds: 3 }, threshold);
  const four = previewPressure({ queued: 100, running: 4, typicalBuildSeconds: 3 }, threshold);
  assert.deepEqual(one.drop, ['sprites', 'waveform']);
  assert.deepEqual(four.drop, []);
  assert.ok(four.retryAfterSeconds < one.retryAfterSeconds);
});

test('Retry-After is half the waiting work, from 5 s to 10 minutes', () => {
  const retryAfter = (queued: number) =>
    previewPressure({ queued, running: 1, typicalBuildSeconds: 2 }, threshold).retryAfterSeconds;
  assert.equal(retryAfter(1), 5);
  assert.equal(retryAfter(30), 30);
  assert.equal(retryAfter(100_000), 600);
});
