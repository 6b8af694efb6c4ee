import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eta, formatBytes } from '../src/output.ts';

test('ETA from the average rate so far', () => {
  const at = (bytesDone: number, seconds: number) =>
    eta({ bytesDone, totalBytes: 1000, startedAt: 0, now: seconds * 1000 });
  assert.equal(at(0, 5), '—');
  assert.equal(at(500, 10), '10s');
  assert.equal(at(100, 10), '1m 30s');
  assert.equal(at(1, 10), '2h 46m');
  assert.equal(at(1000, 10), '0s');
  assert.equal(formatBytes(1536), '1.5 KiB');
});

test('the progress bar takes what the terminal leaves beside the figures, 10 to 30 cells', async () => {
  // Imported here: the view module loads ink and React, which only the TTY path needs.
  const { barWidth } = await import('../src/views/upload-view.ts');
  const figures = ' 85.8 MiB / 86.1 MiB  74.8 MiB/s  ETA 0s  1/2 files'; // 51 characters
  assert.equal(barWidth(120, figures), 30);
  assert.equal(barWidth(80, figures), 28, 'bar, figures and the cursor fit in 80 columns');
  assert.equal(barWidth(40, figures), 10, 'never under 10: a narrow terminal wraps the figures instead');
});
