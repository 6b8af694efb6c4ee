/**
 * Runs the real `mediavault` bin in a child process (Node 24, no inherited
 * MEDIAVAULT_* variables), parsing --json output line by line as it arrives so
 * a test can act on an event while the CLI runs (e.g. SIGKILL it mid-upload).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const bin = join(root, 'cli/src/bin.ts');
const node = join(root, 'node_modules/.bin/node');
/** The CLI's sources import the SDK's sources (its package's `mediavault-source` export condition), not a build. */
const nodeFlags = ['--conditions=mediavault-source'];

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  lines: Record<string, unknown>[];
}

/** What Node's `hasColors()` and chalk read besides TERM (`CI` without a known CI's name means no colour). */
const colourDecidingVariables = new Set(['CI', 'FORCE_COLOR', 'NO_COLOR', 'NODE_DISABLE_COLORS']);

const shellQuote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/** With `terminal`, the CLI runs on a pseudo-terminal (util-linux `script`), as a user at a shell runs it. */
export function runCli(
  args: string[],
  options: {
    cwd: string;
    env: Record<string, string>;
    terminal?: boolean;
    onLine?: (line: Record<string, unknown>, child: ChildProcess) => void;
    /** Every chunk of stdout as it arrives (human output too). */
    onData?: (chunk: Buffer, child: ChildProcess) => void;
  },
): Promise<CliRun> {
  // A terminal run is a user at an interactive shell: the colour choices of the environment the
  // tests run in (CI=true, FORCE_COLOR=0, NO_COLOR) are not inherited; options.env may set them.
  const inherited = (name: string) =>
    !name.startsWith('MEDIAVAULT_') && !(options.terminal && colourDecidingVariables.has(name));
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => inherited(name)));
  const [command, commandArgs] = options.terminal
    ? ([
        'script',
        ['--quiet', '--return', '--command', [node, ...nodeFlags, bin, ...args].map(shellQuote).join(' '), '/dev/null'],
      ] as const)
    : ([node, [...nodeFlags, bin, ...args]] as const);
  const child = spawn(command, commandArgs, {
    cwd: options.cwd,
    env: { ...clean, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  const lines: Record<string, unknown>[] = [];
  const json = args.includes('--json');
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk;
    options.onData?.(chunk, child);
    if (!json || child.stdout!.destroyed) return;
    pending += chunk;
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
      const text = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (!text.trim()) continue;
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      options.onLine?.(line, child);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr, lines }));
  });
}
