/**
 * When whoever reads the CLI's output goes away (`mediavault assets list | head -1`), the next
 * write fails with EPIPE. Node ignores SIGPIPE, so without a listener that failure is an
 * uncaught 'error' event and a stack trace. The reader has what it wanted: stop at once, quietly,
 * as a command killed by SIGPIPE would (exit 0: the shell reports the pipeline's last command).
 * `mediavault dev` serves rather than prints, so it carries on without its output instead.
 */
import { exitCodes } from './exit-codes.ts';

let carryOn = false;

/** The errors a write gets once its reader is gone: the first (EPIPE), then the stream destroyed by it. */
export function isClosedOutput(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

export function watchForClosedOutput(exit: (code: number) => void = (code) => process.exit(code)): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err) => {
      if (!isClosedOutput(err)) throw err;
      if (!carryOn) exit(exitCodes.ok);
    });
  }
}

/** From now on a closed output is dropped, not a reason to stop (the dev stack keeps serving). */
export function carryOnWhenOutputCloses(): void {
  carryOn = true;
}
