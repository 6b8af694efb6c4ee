/**
 * The ink view of `mediavault upload` on a TTY: overall progress (bytes read
 * and stored, including parts and files the server already held), throughput
 * of bytes sent, ETA, and the files in flight. Plain React.createElement (no
 * JSX under type stripping).
 */
import React from 'react';
import { Box, render, Text } from 'ink';
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
  /** Last finished files, newest last. */
  recent: string[];
}

function bar(fraction: number, width: number): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

export function uploadView(state: UploadViewState): unknown {
  const fraction = state.totalBytes === 0 ? 1 : state.bytesDone / state.totalBytes;
  return h(Box, { flexDirection: 'column' },
    ...state.recent.map((line, i) => h(Text, { key: `r${i}`, dimColor: true }, line)),
    h(Text, null,
      h(Text, { color: 'cyan' }, bar(fraction, 30)),
      ` ${formatBytes(state.bytesDone)} / ${formatBytes(state.totalBytes)}  ${throughput({ bytesSent: state.bytesDone, startedAt: state.startedAt, now: state.now })}  ETA ${eta(state)}  `,
      `${state.finished}/${state.totalFiles} files`,
      state.failed > 0 ? h(Text, { color: 'red' }, `  ${state.failed} failed`) : '',
    ),
    ...state.active.slice(0, 12).map((file) => h(Text, { key: file.path },
      h(Text, { color: file.phase === 'uploading' || file.phase === 'resuming' ? 'green' : 'yellow' }, `  ${file.phase.padEnd(9)} `),
      `${file.path} `,
      h(Text, { dimColor: true }, `${formatBytes(file.bytesDone)} / ${formatBytes(file.size)}`),
    )),
    state.active.length > 12 ? h(Text, { dimColor: true }, `  … and ${state.active.length - 12} more in flight`) : null,
  );
}

/** Renders the view, redrawn at most every 100 ms; `finish` draws the last state and unmounts. */
export function startUploadView(state: UploadViewState): { update(): void; finish(): void } {
  const instance = render(uploadView(state) as Parameters<typeof render>[0], { exitOnCtrlC: true, patchConsole: false });
  let last = 0;
  return {
    update: () => {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      state.now = now;
      instance.rerender(uploadView(state) as Parameters<typeof render>[0]);
    },
    finish: () => {
      state.now = Date.now();
      state.active = [];
      instance.rerender(uploadView(state) as Parameters<typeof render>[0]);
      instance.unmount();
    },
  };
}
