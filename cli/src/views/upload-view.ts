/**
 * The ink view of `mediavault upload` on a TTY: one line per finished file, kept
 * in the scrollback (ink's Static), under it the overall progress (bytes read
 * and stored, including parts and files the server already held), throughput
 * of bytes sent, ETA, and the files in flight. Plain React.createElement (no
 * JSX under type stripping).
 */
import React from 'react';
import { Box, render, Static, Text } from 'ink';
import type { IngestProgress } from '@mediavault/sdk';
import { eta, formatBytes, throughput } from '../output.ts';

const h = React.createElement;

export interface UploadViewState {
  /** The ingest's live progress (the SDK updates it). */
  progress: IngestProgress;
  startedAt: number;
  now: number;
  /** A line per finished file, oldest first; printed once each, above the progress. */
  finishedLines: string[];
  /** Draw in colour (false: NO_COLOR, or a terminal without colours). */
  color: boolean;
}

function bar(fraction: number, width: number): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/** The bar takes what the terminal's width leaves beside the figures, 10 to 30 cells, so the line does not wrap. */
export function barWidth(columns: number, figures: string): number {
  return Math.max(10, Math.min(30, columns - figures.length - 1));
}

export function uploadView(state: UploadViewState, columns = 80): unknown {
  const { progress, startedAt, now } = state;
  // Ink's Text colours through chalk, which ignores NO_COLOR: without colour, no colour props at all.
  const paint = (color: string) => (state.color ? { color } : {});
  const dim = state.color ? { dimColor: true } : {};
  const fraction = progress.totalBytes === 0 ? 1 : progress.bytesDone / progress.totalBytes;
  const figures = ` ${formatBytes(progress.bytesDone)} / ${formatBytes(progress.totalBytes)}  ${throughput({ bytesSent: progress.bytesDone, startedAt, now })}  ETA ${eta({ bytesDone: progress.bytesDone, totalBytes: progress.totalBytes, startedAt, now })}  `;
  const count = `${progress.finished}/${progress.totalFiles} files`;
  const failed = progress.failed > 0 ? `  ${progress.failed} failed` : '';
  return h(
    Box,
    { flexDirection: 'column' },
    // A new array each time: Static renders items past the count it has seen, but only for a new `items`.
    h(Static, {
      items: [...state.finishedLines],
      children: (line: unknown, i: number) => h(Text, { key: i }, String(line)),
    }),
    h(
      Text,
      null,
      h(Text, paint('cyan'), bar(fraction, barWidth(columns, figures + count + failed))),
      figures,
      count,
      failed ? h(Text, paint('red'), failed) : '',
    ),
    // A long path is cut in its middle: the phase and the sizes stay on the line.
    ...progress.active
      .slice(0, 12)
      .map((file) =>
        h(
          Text,
          { key: file.path, wrap: 'truncate-middle' },
          h(
            Text,
            paint(file.phase === 'uploading' || file.phase === 'resuming' ? 'green' : 'yellow'),
            `  ${file.phase.padEnd(9)} `,
          ),
          `${file.path} `,
          h(Text, dim, `${formatBytes(file.bytesDone)} / ${formatBytes(file.size)}`),
        ),
      ),
    progress.active.length > 12 ? h(Text, dim, `  … and ${progress.active.length - 12} more in flight`) : null,
  );
}

/** Renders the view, redrawn at most every 100 ms; `finish` draws the last state and unmounts. */
export function startUploadView(state: UploadViewState): { update(): void; finish(): void } {
  const view = (shown = state) => uploadView(shown, process.stdout.columns || 80) as Parameters<typeof render>[0];
  const instance = render(view(), { exitOnCtrlC: true, patchConsole: false });
  let last = 0;
  return {
    update: () => {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      state.now = now;
      instance.rerender(view());
    },
    finish: () => {
      state.now = Date.now();
      // The last frame shows nothing in flight (after Ctrl-C, files still were).
      instance.rerender(view({ ...state, progress: { ...state.progress, active: [] } }));
      instance.unmount();
    },
  };
}
