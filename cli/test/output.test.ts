import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eta, formatBytes } from '../src/output.ts';

test('ETA from the average rate so far', () => {
  const at = (bytesDone: number, seconds: number) => eta({ bytesDone, totalBytes: 1000, startedAt: 0, now: seconds * 1000 });
  assert.equal(at(0, 5), '—');
  assert.equal(at(500, 10), '10s');
  assert.equal(at(100, 10), '1m 30s');
  assert.equal(at(1, 10), '2h 46m');
  assert.equal(at(1000, 10), '0s');
  assert.equal(formatBytes(1536), '1.5 KiB');
});
