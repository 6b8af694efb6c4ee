/**
 * The only module that starts ffmpeg, ffprobe or mediainfo. spawn without a shell, so no
 * argument is ever interpreted; binaries come from FFMPEG_PATH / FFPROBE_PATH /
 * MEDIAINFO_PATH when set (read per call, so a worker can be pointed at another build).
 */
import { spawn } from 'node:child_process';
import { AppError } from '@mediavault/core/errors';
import { buildProbeArgs } from './ffmpeg-args.ts';
import { parseFfprobeReport, type FfprobeReport } from './ffprobe-report.ts';

export type MediaTool = 'ffmpeg' | 'ffprobe' | 'mediainfo';

const binaryEnv: Record<MediaTool, string> = {
  ffmpeg: 'FFMPEG_PATH',
  ffprobe: 'FFPROBE_PATH',
  mediainfo: 'MEDIAINFO_PATH',
};

export function toolBinary(tool: MediaTool): string {
  return process.env[binaryEnv[tool]] || tool;
}

/**
 * A media tool exited non-zero (or was killed). `reason` is the last meaningful stderr line,
 * `stderrTail` the last lines for logs; the caller decides whether the input was at fault.
 */
export class MediaToolError extends AppError {
  readonly tool: MediaTool;
  readonly exitCode: number | null;
  readonly exitSignal: NodeJS.Signals | null;
  readonly reason: string;
  readonly stderrTail: string;

  constructor(tool: MediaTool, exitCode: number | null, exitSignal: NodeJS.Signals | null, stderrTail: string) {
    const reason = lastMeaningfulLine(stderrTail) ?? (exitSignal ? `killed by ${exitSignal}` : `exit code ${exitCode}`);
    super('internal', `${tool} failed: ${reason}`, { tool, exitCode, exitSignal, stderrTail });
    this.name = 'MediaToolError';
    this.tool = tool;
    this.exitCode = exitCode;
    this.exitSignal = exitSignal;
    this.reason = reason;
    this.stderrTail = stderrTail;
  }

  /**
   * The last few stderr lines joined into one, without ffmpeg's "[demuxer @ 0x55…]" pointers:
   * the cause often sits one line above the final complaint ("moov atom not found", then
   * "Invalid data found when processing input").
   */
  lastLines(count: number): string {
    const lines = this.stderrTail
      .split('\n')
      .map((line) => line.replace(/\[([^\]@]+?) @ 0x[0-9a-f]+\] /g, '$1: ').trim())
      .filter((line) => line !== '');
    return lines.length > 0 ? lines.slice(-count).join('; ') : this.reason;
  }
}

export interface FfmpegProgress {
  /** Output position reached so far, in seconds. */
  outTimeSeconds: number;
  /** Encoding speed as a multiple of real time, when ffmpeg reports one. */
  speed: number | null;
  done: boolean;
}

export interface RunOptions {
  signal?: AbortSignal;
}

export interface FfmpegRunOptions extends RunOptions {
  onProgress?: (progress: FfmpegProgress) => void;
  /** Every stderr chunk as it arrives, for filters that report only in the log (ebur128's summary). */
  onStderr?: (chunk: string) => void;
}

const stderrTailLines = 20;
const stderrKeepChars = 16 * 1024;

export async function runFfmpeg(args: readonly string[], options: FfmpegRunOptions = {}): Promise<void> {
  const { onProgress } = options;
  // ffmpeg writes key=value progress blocks to stdout, each ended by a progress= line.
  const fullArgs = onProgress ? ['-progress', 'pipe:1', ...args] : [...args];
  let block: Record<string, string> = {};
  await runTool('ffmpeg', fullArgs, options, {
    onStderr: options.onStderr,
    onStdoutLine: onProgress
      ? (line) => {
          const eq = line.indexOf('=');
          if (eq < 0) return;
          const key = line.slice(0, eq).trim();
          block[key] = line.slice(eq + 1).trim();
          if (key !== 'progress') return;
          onProgress(parseProgress(block));
          block = {};
        }
      : undefined,
  });
}

export function parseProgress(block: Record<string, string>): FfmpegProgress {
  const outTimeUs = Number(block.out_time_us);
  const speed = Number.parseFloat(block.speed ?? '');
  return {
    outTimeSeconds: Number.isFinite(outTimeUs) && outTimeUs > 0 ? outTimeUs / 1e6 : 0,
    speed: Number.isFinite(speed) ? speed : null,
    done: block.progress === 'end',
  };
}

/** ffprobe -show_format -show_streams, parsed and checked (see ffprobe-report.ts). */
export async function runFfprobe(path: string, options: RunOptions = {}): Promise<FfprobeReport> {
  const stdout = await runTool('ffprobe', buildProbeArgs(path), options, { collectStdout: true });
  return parseFfprobeReport(JSON.parse(stdout));
}

/** MediaInfo's full JSON report (for the MediaInfo-grade metadata stored on a version). */
/** ffmpeg for what it prints, e.g. `-encoders` (encoder detection). */
export async function runFfmpegForStdout(args: readonly string[], options: RunOptions = {}): Promise<string> {
  const stdout = await runTool('ffmpeg', args, options, { collectStdout: true });
  return String(stdout);
}

export async function runMediainfo(path: string, options: RunOptions = {}): Promise<unknown> {
  const stdout = await runTool('mediainfo', ['--Output=JSON', '--Full', path], options, { collectStdout: true });
  return JSON.parse(stdout);
}

interface StdoutHandling {
  collectStdout?: boolean;
  onStderr?: ((chunk: string) => void) | undefined;
  onStdoutLine?: ((line: string) => void) | undefined;
}

function runTool(
  tool: MediaTool,
  args: readonly string[],
  options: RunOptions,
  stdoutHandling: StdoutHandling,
): Promise<string> {
  const binary = toolBinary(tool);
  const { signal } = options;
  return new Promise<string>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
    let stderr = '';
    const stdoutChunks: Buffer[] = [];
    let pendingLine = '';
    let settled = false;
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      finish();
    };
    const onAbort = () => {
      child.kill('SIGKILL');
      settle(() => reject(signal!.reason));
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-stderrKeepChars);
      stdoutHandling.onStderr?.(chunk);
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdoutHandling.collectStdout) stdoutChunks.push(chunk);
      if (stdoutHandling.onStdoutLine) {
        const lines = (pendingLine + chunk.toString('utf8')).split('\n');
        pendingLine = lines.pop() ?? '';
        for (const line of lines) stdoutHandling.onStdoutLine(line);
      }
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      settle(() =>
        reject(
          err.code === 'ENOENT'
            ? new AppError('unavailable', `${tool} not found at "${binary}" (install it or set ${binaryEnv[tool]})`, {
                tool,
                binary,
              })
            : err,
        ),
      );
    });
    child.on('close', (code, exitSignal) => {
      if (pendingLine && stdoutHandling.onStdoutLine) stdoutHandling.onStdoutLine(pendingLine);
      settle(() => {
        if (code === 0) resolve(Buffer.concat(stdoutChunks).toString('utf8'));
        else reject(new MediaToolError(tool, code, exitSignal, tailLines(stderr)));
      });
    });
  });
}

function tailLines(text: string): string {
  return text
    .split(/\r?\n|\r/)
    .filter((line) => line.trim() !== '')
    .slice(-stderrTailLines)
    .join('\n');
}

function lastMeaningfulLine(tail: string): string | undefined {
  const lines = tail.split('\n').filter((line) => line.trim() !== '');
  // ffmpeg's last line is often a generic summary ("Conversion failed!"); the cause is above it.
  const generic = /^(Conversion failed!?|Exiting normally.*)$/;
  return [...lines].reverse().find((line) => !generic.test(line.trim())) ?? lines.at(-1);
}
