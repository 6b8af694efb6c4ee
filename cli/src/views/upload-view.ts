/**
 * The ink view of `mediavault upload` on a TTY: overall bytes, throughput and
 * the files in flight. Plain React.createElement (no JSX under type stripping).
 */
import React from 'react';
import { Box, render, Text } from 'ink';
import { formatBytes, throughput } from '../output.ts';

const h = React.createElement;

export interface ActiveFile {
  path: string;
  size: number;
  bytesSent: number;
  phase: 'hashing' | 'uploading' | 'promoting';
}

export interface UploadViewState {
  totalFiles: number;
  totalBytes: number;
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
  const fraction = state.totalBytes === 0 ? 1 : state.bytesSent / state.totalBytes;
  return h(Box, { flexDirection: 'column' },
    ...state.recent.map((line, i) => h(Text, { key: `r${i}`, dimColor: true }, line)),
    h(Text, null,
      h(Text, { color: 'cyan' }, bar(fraction, 30)),
      ` ${formatBytes(state.bytesSent)} / ${formatBytes(state.totalBytes)}  ${throughput(state)}  `,
      `${state.finished}/${state.totalFiles} files`,
      state.failed > 0 ? h(Text, { color: 'red' }, `  ${state.failed} failed`) : '',
    ),
    ...state.active.map((file) => h(Text, { key: file.path },
      h(Text, { color: file.phase === 'uploading' ? 'green' : 'yellow' }, `  ${file.phase.padEnd(9)} `),
      `${file.path} `,
      h(Text, { dimColor: true }, file.phase === 'uploading' ? `${formatBytes(file.bytesSent)} / ${formatBytes(file.size)}` : formatBytes(file.size)),
    )),
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
