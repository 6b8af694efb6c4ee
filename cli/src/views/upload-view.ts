/**
 * The ink view of `mediavault upload` on a TTY: one line per finished file, kept
 * in the scrollback (ink's Static), under it the overall progress (bytes read
 * and stored, including parts and files the server already held), throughput
 * of bytes sent, ETA, and the files in flight. Plain React.createElement (no
 * JSX under type stripping).
 */
import React from 'react';
import { Box, render, Static, Text } from 'ink';
import { eta, formatBytes, throughput } from '../output.ts';

const h = React.createElement;

export interface ActiveFile {
  path: string;
  size: number;
  /** Bytes read and stored (sent, or found on the server). */
  bytesDone: number;
  phase: 'reading' | 'hashing' | 'uploading' | 'resuming' | 'promoting';
}

export interface UploadViewState {
  totalFiles: number;
  totalBytes: number;
  /** Bytes of the planned files that are done (sent, already stored, deduplicated). */
  bytesDone: number;
  /** Bytes actually sent over the network. */
  bytesSent: number;
  finished: number;
  failed: number;
  startedAt: number;
  now: number;
  active: ActiveFile[];
  /** A line per finished file, oldest first; printed once each, above the progress. */
  finishedLines: string[];
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
  const fraction = state.totalBytes === 0 ? 1 : state.bytesDone / state.totalBytes;
  const figures = ` ${formatBytes(state.bytesDone)} / ${formatBytes(state.totalBytes)}  ${throughput({ bytesSent: state.bytesDone, startedAt: state.startedAt, now: state.now })}  ETA ${eta(state)}  `;
  const count = `${state.finished}/${state.totalFiles} files`;
  const failed = state.failed > 0 ? `  ${state.failed} failed` : '';
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
      h(Text, { color: 'cyan' }, bar(fraction, barWidth(columns, figures + count + failed))),
      figures,
      count,
      failed ? h(Text, { color: 'red' }, failed) : '',
    ),
    // A long path is cut in its middle: the phase and the sizes stay on the line.
    ...state.active
      .slice(0, 12)
      .map((file) =>
        h(
          Text,
          { key: file.path, wrap: 'truncate-middle' },
          h(
            Text,
            { color: file.phase === 'uploading' || file.phase === 'resuming' ? 'green' : 'yellow' },
            `  ${file.phase.padEnd(9)} `,
          ),
          `${file.path} `,
          h(Text, { dimColor: true }, `${formatBytes(file.bytesDone)} / ${formatBytes(file.size)}`),
        ),
      ),
    state.active.length > 12 ? h(Text, { dimColor: true }, `  … and ${state.active.length - 12} more in flight`) : null,
  );
}

/** Renders the view, redrawn at most every 100 ms; `finish` draws the last state and unmounts. */
export function startUploadView(state: UploadViewState): { update(): void; finish(): void } {
  const view = () => uploadView(state, process.stdout.columns || 80) as Parameters<typeof render>[0];
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
      state.active = [];
      instance.rerender(view());
      instance.unmount();
    },
  };
}
