/**
 * Job definitions as units: payloads are checked when sent and when received. The sender
 * here records what it is asked to send instead of writing to pg-boss: what is under test is
 * the check and the options each definition gives, not pg-boss (worker/test runs real queues).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidJobPayload, jobs, readJobPayload, sendJob, sendJobs } from '../src/jobs.ts';

const sha = 'a'.repeat(64);
const uploadId = '6f1c2a9e-4b7d-4c1e-9f3a-2d5b8e7c1a0f';

function recordingSender() {
  const sent: { queue: string; data: unknown; options: Record<string, unknown> }[] = [];
  return {
    sent,
    async send(queue: string, data: object, options: Record<string, unknown>) {
      sent.push({ queue, data, options });
      return 'job-id';
    },
    async insert(queue: string, items: ({ data: object } & Record<string, unknown>)[]) {
      for (const { data, ...options } of items) sent.push({ queue, data, options });
      return null;
    },
  };
}

test('a payload that matches its schema is answered typed; any other is refused naming the field', () => {
  assert.deepEqual(readJobPayload('promote', { uploadId }), { uploadId });
  assert.throws(() => readJobPayload('promote', { uploadId: 'not-a-uuid' }), InvalidJobPayload);
  assert.throws(() => readJobPayload('probe', { versionId: uploadId }), /sha256/);
  assert.throws(() => readJobPayload('preview', { sha256: sha, profile: 'x', extra: 1 }), InvalidJobPayload);
  assert.throws(() => readJobPayload('preview', { sha256: sha.toUpperCase(), profile: 'default' }), /sha256/);
  // pg-boss stores a scheduled job without data: it arrives as null.
  assert.deepEqual(readJobPayload('maintenance', null), {});
});

test('sending checks the payload first and sends nothing when it is wrong', async () => {
  const boss = recordingSender();
  await assert.rejects(sendJob(boss as never, 'promote', { uploadId: 'x' } as never), InvalidJobPayload);
  await assert.rejects(
    sendJobs(boss as never, 'probe', [{ versionId: uploadId, sha256: sha }, { versionId: uploadId } as never]),
    InvalidJobPayload,
  );
  assert.equal(boss.sent.length, 0, 'a batch with one bad payload sends none of it');
});

test('each definition sends to its own queue with its singleton key and priority', async () => {
  const boss = recordingSender();
  assert.equal(await sendJob(boss as never, 'promote', { uploadId, requestId: 'r1' }), 'job-id');
  await sendJob(boss as never, 'preview', { sha256: sha, profile: 'default' }, { priority: 'interactive' });
  await sendJob(boss as never, 'preview', { sha256: sha, profile: 'default', fill: true }, { priority: 'interactive' });
  await sendJobs(boss as never, 'probe', [{ versionId: uploadId, sha256: sha }]);
  assert.deepEqual(
    boss.sent.map((s) => [s.queue, s.options.singletonKey, s.options.priority ?? null]),
    [
      ['promote', `promote:${uploadId}`, null],
      ['preview', `preview:${sha}:default`, 10],
      // A fill builds what backpressure dropped: never ahead of first builds, and a minute later.
      ['preview', `preview-fill:${sha}:default`, 0],
      ['probe', `probe:${uploadId}`, null],
    ],
  );
  assert.equal(boss.sent[2]!.options.startAfter, 60);
});

test('no two definitions share a queue, and every queue but the dead letters names the dead-letter queue', () => {
  const definitions = Object.values(jobs);
  assert.equal(new Set(definitions.map((d) => d.queue)).size, definitions.length);
  for (const d of definitions) {
    if (d === jobs.deadLetter || d.queueOptions.policy === 'singleton') continue;
    assert.equal(d.queueOptions.deadLetter, jobs.deadLetter.queue, d.queue);
  }
});
