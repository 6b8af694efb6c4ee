import { errorFields as sdkErrorFields, formatBytes, type ErrorFields } from '@mediavault/sdk';
import { CliError, exitCodes, UsageError } from './exit-codes.ts';

export { formatBytes };

/**
 * NDJSON to stdout with --json; human lines otherwise: results on stdout, problems on stderr,
 * and what only tells how things go (progress, a line per file, confirmations) on stdout unless
 * --quiet. --json output is the same with --quiet: scripts asked for every event.
 */
export interface Output {
  readonly json: boolean;
  readonly quiet: boolean;
  event(event: string, fields: Record<string, unknown>): void;
  /** What the command exists to print (a list, URLs): shown with --quiet too. */
  line(text: string): void;
  /** How it goes: not shown with --quiet. */
  info(text: string): void;
  problem(text: string): void;
}

export function createOutput(json: boolean, quiet = false): Output {
  return {
    json,
    quiet,
    event: (event, fields) => {
      if (json) process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
    },
    line: (text) => {
      if (!json) process.stdout.write(`${text}\n`);
    },
    info: (text) => {
      if (!json && !quiet) process.stdout.write(`${text}\n`);
    },
    problem: (text) => {
      if (!json) process.stderr.write(`${text}\n`);
    },
  };
}

export type { ErrorFields };

export function errorFields(err: unknown): ErrorFields {
  if (err instanceof CliError) return { code: err.code, message: err.message };
  if (err instanceof UsageError) return { code: 'usage', message: err.message };
  return sdkErrorFields(err);
}

/** Reports a failure that ends the command and returns its exit code. */
export function reportFailure(output: Output, err: unknown): number {
  const fields = errorFields(err);
  if (output.json) {
    output.event('error', { ...fields });
  } else {
    const where = fields.requestId ? ` (request id ${fields.requestId})` : '';
    process.stderr.write(`mediavault: ${fields.message}${where}\n`);
    if (fields.code === 'internal' && err instanceof Error && process.env.MEDIAVAULT_DEBUG)
      process.stderr.write(`${err.stack}\n`);
  }
  return err instanceof UsageError ? exitCodes.usage : exitCodes.failed;
}

export function throughput(state: { bytesSent: number; startedAt: number; now: number }): string {
  const seconds = Math.max(0.001, (state.now - state.startedAt) / 1000);
  return `${formatBytes(Math.round(state.bytesSent / seconds))}/s`;
}

/** Time left at the average rate so far: "1m 05s", "—" before anything is done. */
export function eta(state: { bytesDone: number; totalBytes: number; startedAt: number; now: number }): string {
  const seconds = (state.now - state.startedAt) / 1000;
  if (state.bytesDone <= 0 || seconds <= 0) return '—';
  const left = Math.max(0, Math.round(((state.totalBytes - state.bytesDone) * seconds) / state.bytesDone));
  const hours = Math.floor(left / 3600);
  const minutes = Math.floor((left % 3600) / 60);
  const secs = left % 60;
  return hours > 0
    ? `${hours}h ${String(minutes).padStart(2, '0')}m`
    : minutes > 0
      ? `${minutes}m ${String(secs).padStart(2, '0')}s`
      : `${secs}s`;
}
