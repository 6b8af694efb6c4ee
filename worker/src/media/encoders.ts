/**
 * What this node can encode with, and the per-job choice between NVENC and libx264.
 *
 * - Capability: NVENC counts only when ffmpeg lists h264_nvenc AND a one-frame probe encode
 *   succeeds (Debian's ffmpeg lists NVENC on machines without any NVIDIA GPU). Detected once
 *   per process and cached: a worker does not change GPUs while it runs.
 * - Sessions: every NVENC output stream holds one encoder session on the GPU, and consumer
 *   cards refuse sessions above a driver limit, so concurrent sessions are bounded per GPU.
 * - Fallback: a job whose NVENC attempt fails for a reason that is not the input's retries once
 *   on libx264 and says so. The process-wide capability is never flipped by one failure; only
 *   a run of consecutive GPU failures opens a cool-down (NvencHealth) during which jobs go
 *   straight to software, after which NVENC is tried again.
 */
import { errors } from '@mediavault/core/errors';
import { chooseVideoEncoder, type VideoEncoder, type VideoEncoderOverrides } from './ffmpeg-args.ts';
import { MediaToolError, runFfmpeg, runFfmpegForStdout } from './run.ts';

// ---------------------------------------------------------------------------------------------
// Capability detection

export interface EncoderCapabilities {
  nvenc: boolean;
  /** Why NVENC is or is not usable, for logs and the worker's status. */
  reason: string;
}

/** One line of `ffmpeg -encoders`: capability flags, the encoder name, a description. */
export interface ListedEncoder {
  name: string;
  type: 'video' | 'audio' | 'subtitle';
  description: string;
}

const encoderLine = /^\s*([VAS])[.A-Z]{5}\s+(\S+)\s+(.*)$/;
const encoderTypes = { V: 'video', A: 'audio', S: 'subtitle' } as const;

/**
 * Parses `ffmpeg -hide_banner -encoders`. The legend above the "------" line uses the same
 * flag layout (" V..... = Video"), so only lines after the separator count.
 */
export function parseEncoderList(stdout: string): ListedEncoder[] {
  const lines = stdout.split(/\r?\n/);
  const separator = lines.findIndex((line) => /^\s*-{6}\s*$/.test(line));
  const listed: ListedEncoder[] = [];
  for (const line of lines.slice(separator + 1)) {
    const match = encoderLine.exec(line);
    if (!match) continue;
    listed.push({
      type: encoderTypes[match[1] as keyof typeof encoderTypes],
      name: match[2]!,
      description: match[3]!.trim(),
    });
  }
  return listed;
}

/** The one-frame encode that proves a GPU, a driver and a free session are really there. */
export const nvencProbeArgs: readonly string[] = [
  '-hide_banner',
  '-nostdin',
  '-nostats',
  '-loglevel',
  'error',
  '-f',
  'lavfi',
  '-i',
  'color=size=256x256:duration=0.04',
  '-frames:v',
  '1',
  '-c:v',
  'h264_nvenc',
  '-f',
  'null',
  '-',
];

export interface EncoderDetectionTools {
  /**
   * stdout of `ffmpeg -hide_banner -encoders`. Optional because run.ts has no stdout-capturing
   * ffmpeg variant yet; without it the probe encode alone decides, which gives the same answer
   * (an ffmpeg without h264_nvenc fails the probe with "Unknown encoder") and a less direct reason.
   */
  listEncoders?: () => Promise<string>;
  /** Runs ffmpeg; rejects (MediaToolError) when it exits non-zero. */
  runFfmpeg: (args: readonly string[]) => Promise<void>;
}

export const ffmpegDetectionTools: EncoderDetectionTools = {
  listEncoders: () => runFfmpegForStdout(['-hide_banner', '-encoders']),
  runFfmpeg: (args) => runFfmpeg(args),
};

/** NVENC's own complaint is the useful line; ffmpeg's "Error initializing output stream" follows it. */
const nvencComplaint = /nvenc|cuda|nvidia|No capable devices|OpenEncodeSession|driver/i;

export async function detectEncoders(
  tools: EncoderDetectionTools = ffmpegDetectionTools,
): Promise<EncoderCapabilities> {
  if (tools.listEncoders) {
    let listing: string;
    try {
      listing = await tools.listEncoders();
    } catch (err) {
      return { nvenc: false, reason: `could not list ffmpeg encoders: ${(err as Error).message}` };
    }
    if (!parseEncoderList(listing).some((e) => e.name === 'h264_nvenc')) {
      return { nvenc: false, reason: 'this ffmpeg build has no h264_nvenc encoder' };
    }
  }
  try {
    await tools.runFfmpeg(nvencProbeArgs);
  } catch (err) {
    if (err instanceof MediaToolError) {
      if (/Unknown encoder/i.test(err.stderrTail))
        return { nvenc: false, reason: 'this ffmpeg build has no h264_nvenc encoder' };
      const complaint = err.stderrTail.split('\n').find((line) => nvencComplaint.test(line));
      const why = complaint ? stripContextPointer(complaint) : err.lastLines(2);
      return { nvenc: false, reason: `h264_nvenc probe encode failed: ${why}` };
    }
    return { nvenc: false, reason: `h264_nvenc probe encode failed: ${(err as Error).message}` };
  }
  return { nvenc: true, reason: 'h264_nvenc listed and a one-frame probe encode succeeded' };
}

function stripContextPointer(line: string): string {
  return line.replace(/\[([^\]@]+?) @ 0x[0-9a-f]+\] /g, '$1: ').trim();
}

let cachedCapabilities: Promise<EncoderCapabilities> | null = null;

/** detectEncoders once per process; every caller shares the same answer (and the same probe). */
export function getEncoderCapabilities(
  tools: EncoderDetectionTools = ffmpegDetectionTools,
): Promise<EncoderCapabilities> {
  cachedCapabilities ??= detectEncoders(tools);
  return cachedCapabilities;
}

export function resetEncoderCapabilitiesForTests(): void {
  cachedCapabilities = null;
}

// ---------------------------------------------------------------------------------------------
// NVENC sessions per GPU

/**
 * Consumer GeForce drivers cap concurrent NVENC sessions per system (3 for years, raised to 5
 * and later 8 by newer drivers); professional cards have no cap. 3 is safe on any of them.
 */
export const defaultNvencSessionsPerGpu = 3;

/**
 * A FIFO weighted semaphore over NVENC sessions of one GPU. Weighted because one ffmpeg run
 * opens one session per NVENC output stream: the preview command encodes every HLS rung and
 * the progressive MP4, so a 3-rung job holds 4 sessions, not 1.
 */
export class NvencSessionLimiter {
  readonly maxSessions: number;
  #inUse = 0;
  readonly #waiting: { sessions: number; grant: () => void }[] = [];

  constructor(maxSessions: number = defaultNvencSessionsPerGpu) {
    if (!Number.isInteger(maxSessions) || maxSessions < 1) {
      throw errors.badRequest('NVENC sessions per GPU must be a positive integer', { maxSessions });
    }
    this.maxSessions = maxSessions;
  }

  /** Sessions held right now. */
  get inUse(): number {
    return this.#inUse;
  }

  /** Jobs waiting for sessions. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Runs `task` while holding `sessions` sessions. A job asking for more than the GPU allows
   * is clamped to the whole GPU so it runs alone instead of waiting forever; if the driver
   * still refuses, the NVENC attempt fails and the job falls back to libx264.
   */
  async run<T>(task: () => Promise<T>, options: { sessions?: number; signal?: AbortSignal } = {}): Promise<T> {
    const sessions = Math.min(Math.max(1, Math.ceil(options.sessions ?? 1)), this.maxSessions);
    await this.#acquire(sessions, options.signal);
    try {
      return await task();
    } finally {
      this.#inUse -= sessions;
      this.#grantWaiting();
    }
  }

  #acquire(sessions: number, signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    // FIFO: a big job at the head is not overtaken forever by a stream of small ones.
    if (this.#waiting.length === 0 && this.#inUse + sessions <= this.maxSessions) {
      this.#inUse += sessions;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const entry = {
        sessions,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const at = this.#waiting.indexOf(entry);
        if (at >= 0) this.#waiting.splice(at, 1);
        // The head may have been what blocked smaller jobs behind it.
        this.#grantWaiting();
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(entry);
    });
  }

  #grantWaiting(): void {
    while (this.#waiting.length > 0 && this.#inUse + this.#waiting[0]!.sessions <= this.maxSessions) {
      const next = this.#waiting.shift()!;
      this.#inUse += next.sessions;
      next.grant();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// NVENC health: a circuit breaker, not a capability flip

export interface NvencHealthOptions {
  /** Consecutive GPU-caused failures that open the cool-down. Default 3. */
  failuresBeforeCoolDown?: number;
  /** How long jobs skip NVENC once the breaker opens. Default 5 minutes. */
  coolDownMs?: number;
  now?: () => number;
}

/**
 * One NVENC failure says little (a transient session refusal, a driver hiccup); several in a
 * row with no success between them say the GPU is unwell. Only then do jobs skip NVENC, and
 * only for the cool-down: afterwards the next job tries NVENC again, and one success closes
 * the breaker. The detected capability is untouched throughout.
 */
export class NvencHealth {
  readonly failuresBeforeCoolDown: number;
  readonly coolDownMs: number;
  readonly #now: () => number;
  #consecutiveFailures = 0;
  #coolDownUntil = 0;
  #lastFailure: string | null = null;

  constructor(options: NvencHealthOptions = {}) {
    this.failuresBeforeCoolDown = options.failuresBeforeCoolDown ?? 3;
    this.coolDownMs = options.coolDownMs ?? 5 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Null when NVENC may be tried; otherwise why jobs skip it right now. */
  coolingDownReason(): string | null {
    if (this.#now() >= this.#coolDownUntil) return null;
    const seconds = Math.ceil((this.#coolDownUntil - this.#now()) / 1000);
    return `NVENC cooling down for ${seconds} s after ${this.#consecutiveFailures} consecutive failures (last: ${this.#lastFailure})`;
  }

  recordSuccess(): void {
    this.#consecutiveFailures = 0;
    this.#coolDownUntil = 0;
    this.#lastFailure = null;
  }

  recordFailure(reason: string): void {
    this.#consecutiveFailures += 1;
    this.#lastFailure = reason;
    if (this.#consecutiveFailures >= this.failuresBeforeCoolDown) this.#coolDownUntil = this.#now() + this.coolDownMs;
  }

  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }
}

// ---------------------------------------------------------------------------------------------
// Per-job choice with fallback

/** Failures that are about the source: libx264 would fail the same way, so retrying is waste. */
const inputFault =
  /Invalid data found when processing input|moov atom not found|No such file or directory|Invalid argument|could not find codec parameters|Error while decoding|corrupt|truncat/i;
/** Failures about this worker (disk, memory, descriptors): neither encoder would do better. */
const machineFault = /No space left on device|Cannot allocate memory|Too many open files/;
/** What NVENC, CUDA or the driver say when the GPU side fails. */
const gpuFault =
  /nvenc|cuda|nvidia|No capable devices|OpenEncodeSession|InitializeEncoder|Error while opening encoder|Error initializing output stream/i;

export type NvencFailureVerdict =
  | { retryOnSoftware: true; reason: string }
  | { retryOnSoftware: false; why: 'not-ffmpeg' | 'input' | 'machine' };

/**
 * Whether a failed NVENC attempt should be retried on libx264. Only an ffmpeg failure
 * (MediaToolError) qualifies: AppErrors from planning or verification already judged the
 * input, an abort is the caller's. GPU words in stderr win over input words, because a GPU
 * failure often ends with generic lines ("Invalid argument") that would otherwise blame the source.
 */
export function judgeNvencFailure(err: unknown): NvencFailureVerdict {
  if (!(err instanceof MediaToolError) || err.tool !== 'ffmpeg') return { retryOnSoftware: false, why: 'not-ffmpeg' };
  const tail = err.stderrTail;
  const complaint = tail.split('\n').find((line) => gpuFault.test(line));
  if (complaint) return { retryOnSoftware: true, reason: stripContextPointer(complaint) };
  if (machineFault.test(tail)) return { retryOnSoftware: false, why: 'machine' };
  if (err.exitCode !== null && inputFault.test(tail)) return { retryOnSoftware: false, why: 'input' };
  // Unexplained exit or a crash (SIGSEGV in the driver): give the job its software chance.
  return { retryOnSoftware: true, reason: err.lastLines(2) };
}

export interface EncoderRun<T> {
  result: T;
  /** The encoder that produced `result`: record it on the preview. */
  encoder: VideoEncoder;
  /** True when NVENC was tried for this job, failed, and libx264 produced the result. */
  fellBack: boolean;
  /** Why NVENC was not used although the node has it: its failure, or the health cool-down. */
  nvencError?: string;
}

export interface EncoderFallbackOptions {
  /** NVENC sessions this job opens: one per NVENC output stream (HLS rungs + progressive MP4). */
  nvencSessions?: number;
  health?: NvencHealth;
  signal?: AbortSignal;
  /** Passed to chooseVideoEncoder for the software encoder (tests use 'ultrafast'). */
  overrides?: VideoEncoderOverrides;
}

/**
 * Runs `build` with NVENC when this node has it (inside the session limiter), otherwise with
 * libx264. An NVENC failure that judgeNvencFailure attributes to the GPU retries this job
 * once on libx264; anything else (input fault, abort, disk full) propagates unchanged.
 */
export async function runWithEncoderFallback<T>(
  capabilities: { nvenc: boolean },
  limiter: NvencSessionLimiter,
  build: (encoder: VideoEncoder) => Promise<T>,
  options: EncoderFallbackOptions = {},
): Promise<EncoderRun<T>> {
  const software = chooseVideoEncoder({ nvenc: false }, options.overrides);
  if (!capabilities.nvenc) return { result: await build(software), encoder: software, fellBack: false };

  const coolingDown = options.health?.coolingDownReason() ?? null;
  if (coolingDown)
    return { result: await build(software), encoder: software, fellBack: false, nvencError: coolingDown };

  const nvenc = chooseVideoEncoder({ nvenc: true }, options.overrides);
  let nvencError: string;
  try {
    const result = await limiter.run(() => build(nvenc), { sessions: options.nvencSessions, signal: options.signal });
    options.health?.recordSuccess();
    return { result, encoder: nvenc, fellBack: false };
  } catch (err) {
    const verdict = judgeNvencFailure(err);
    if (!verdict.retryOnSoftware) throw err;
    nvencError = verdict.reason;
    options.health?.recordFailure(nvencError);
  }
  options.signal?.throwIfAborted();
  return { result: await build(software), encoder: software, fellBack: true, nvencError };
}
