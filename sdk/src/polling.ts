import { setTimeout as sleep } from 'node:timers/promises';
import { MediavaultError } from './errors.ts';

export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal });
}

/**
 * Calls `check` until it returns a value, backing off from 200 ms to 2 s between
 * calls (the api has no push channel for job state yet); a `timeout` error names
 * what was awaited.
 */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let interval = 200;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    const left = deadline - Date.now();
    if (left <= 0) throw new MediavaultError('timeout', `timed out after ${options.timeoutMs} ms waiting for ${what}`);
    await delay(Math.min(interval, left), options.signal);
    interval = Math.min(interval * 1.5, 2000);
  }
}
