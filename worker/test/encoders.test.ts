import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAppError } from '@mediavault/core/errors';
import type { VideoEncoder } from '../src/media/ffmpeg-args.ts';
import {
  NvencHealth,
  NvencSessionLimiter,
  detectEncoders,
  getEncoderCapabilities,
  judgeNvencFailure,
  nvencProbeArgs,
  parseEncoderList,
  resetEncoderCapabilitiesForTests,
  runWithEncoderFallback,
  type EncoderDetectionTools,
} from '../src/media/encoders.ts';
import { MediaToolError } from '../src/media/run.ts';

/** Trimmed from `ffmpeg -hide_banner -encoders` of Debian's ffmpeg 5.1 on this machine. */
const debianEncoderList = `Encoders:
 V..... = Video
 A..... = Audio
 S..... = Subtitle
 .F.... = Frame-level multithreading
 ..S... = Slice-level multithreading
 ...X.. = Codec is experimental
 ....B. = Supports draw_horiz_band
 .....D = Supports direct rendering method 1
 ------
 V....D a64multi             Multicolor charset for Commodore 64 (codec a64_multi)
 V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (codec h264)
 V....D h264_nvenc           NVIDIA NVENC H.264 encoder (codec h264)
 V....D hevc_nvenc           NVIDIA NVENC hevc encoder (codec hevc)
 A....D aac                  AAC (Advanced Audio Coding)
 S..... ass                  ASS (Advanced SubStation Alpha) subtitle
`;

const nvencStderr = `[h264_nvenc @ 0x564a7dbd2580] OpenEncodeSessionEx failed: incompatible client key (21): (no details)
[h264_nvenc @ 0x564a7dbd2580] No capable devices found
Error initializing output stream 0:0 -- Error while opening encoder for output stream #0:0 - maybe incorrect parameters such as bit_rate, rate, width or height`;

function ffmpegFailure(stderrTail: string, exitCode: number | null = 1): MediaToolError {
  return new MediaToolError('ffmpeg', exitCode, exitCode === null ? 'SIGSEGV' : null, stderrTail);
}

/** A promise and its resolver, to hold a fake build open until the test lets it finish. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('parseEncoderList', () => {
  it('lists the encoders after the separator, not the legend', () => {
    const listed = parseEncoderList(debianEncoderList);
    assert.deepEqual(
      listed.map((e) => e.name),
      ['a64multi', 'libx264', 'h264_nvenc', 'hevc_nvenc', 'aac', 'ass'],
    );
    assert.deepEqual(listed[2], {
      name: 'h264_nvenc',
      type: 'video',
      description: 'NVIDIA NVENC H.264 encoder (codec h264)',
    });
    assert.equal(listed[4]!.type, 'audio');
    assert.equal(listed[5]!.type, 'subtitle');
  });

  it('finds nothing in output that is not an encoder list', () => {
    assert.deepEqual(parseEncoderList(''), []);
    assert.deepEqual(parseEncoderList('ffmpeg version 5.1\nUnrecognized option'), []);
  });
});

describe('detectEncoders', () => {
  it('reports no NVENC when the build does not list it, without a probe encode', async () => {
    const calls: string[][] = [];
    const tools: EncoderDetectionTools = {
      listEncoders: async () => debianEncoderList.replace(/^.*nvenc.*$/gm, ''),
      runFfmpeg: async (args) => void calls.push([...args]),
    };
    assert.deepEqual(await detectEncoders(tools), {
      nvenc: false,
      reason: 'this ffmpeg build has no h264_nvenc encoder',
    });
    assert.equal(calls.length, 0);
  });

  it('needs the one-frame probe encode to succeed as well as the listing', async () => {
    const calls: string[][] = [];
    const ok = await detectEncoders({
      listEncoders: async () => debianEncoderList,
      runFfmpeg: async (args) => void calls.push([...args]),
    });
    assert.equal(ok.nvenc, true);
    assert.deepEqual(calls, [[...nvencProbeArgs]]);
    assert.ok(nvencProbeArgs.includes('color=size=256x256:duration=0.04'));

    const failed = await detectEncoders({
      listEncoders: async () => debianEncoderList,
      runFfmpeg: async () => {
        throw ffmpegFailure(nvencStderr);
      },
    });
    assert.equal(failed.nvenc, false);
    assert.equal(
      failed.reason,
      'h264_nvenc probe encode failed: h264_nvenc: OpenEncodeSessionEx failed: incompatible client key (21): (no details)',
    );
  });

  it('on this machine (no NVIDIA GPU) says no, with the driver reason, and detects once per process', async (t) => {
    resetEncoderCapabilitiesForTests();
    t.after(resetEncoderCapabilitiesForTests);
    let probes = 0;
    const counting: EncoderDetectionTools = {
      runFfmpeg: async (args) => {
        probes += 1;
        const { runFfmpeg } = await import('../src/media/run.ts');
        await runFfmpeg(args);
      },
    };
    const [first, second] = await Promise.all([getEncoderCapabilities(counting), getEncoderCapabilities(counting)]);
    const third = await getEncoderCapabilities(counting);
    assert.equal(first.nvenc, false);
    assert.match(first.reason, /libcuda|no h264_nvenc|No capable devices|nvenc/i);
    assert.equal(second, first);
    assert.equal(third, first);
    assert.equal(probes, 1);

    resetEncoderCapabilitiesForTests();
    await getEncoderCapabilities(counting);
    assert.equal(probes, 2, 'the reset makes the next call detect again');
  });

  it('the default tools run the real ffmpeg', async (t) => {
    resetEncoderCapabilitiesForTests();
    t.after(resetEncoderCapabilitiesForTests);
    const capabilities = await getEncoderCapabilities();
    assert.equal(capabilities.nvenc, false);
    assert.match(capabilities.reason, /^(h264_nvenc probe encode failed: |this ffmpeg build has no h264_nvenc)/);
  });
});

describe('judgeNvencFailure', () => {
  it('retries GPU failures on software, naming NVENC’s own complaint', () => {
    assert.deepEqual(judgeNvencFailure(ffmpegFailure(nvencStderr)), {
      retryOnSoftware: true,
      reason: 'h264_nvenc: OpenEncodeSessionEx failed: incompatible client key (21): (no details)',
    });
    assert.equal(judgeNvencFailure(ffmpegFailure('Segmentation fault', null)).retryOnSoftware, true);
  });

  it('does not retry what libx264 would fail at too', () => {
    assert.deepEqual(judgeNvencFailure(ffmpegFailure('file:/in.mov: Invalid data found when processing input')), {
      retryOnSoftware: false,
      why: 'input',
    });
    assert.deepEqual(judgeNvencFailure(ffmpegFailure('av_interleaved_write_frame(): No space left on device')), {
      retryOnSoftware: false,
      why: 'machine',
    });
    assert.deepEqual(judgeNvencFailure(new Error('aborted')), { retryOnSoftware: false, why: 'not-ffmpeg' });
    assert.deepEqual(judgeNvencFailure(new MediaToolError('ffprobe', 1, null, 'h264_nvenc')), {
      retryOnSoftware: false,
      why: 'not-ffmpeg',
    });
  });
});

describe('runWithEncoderFallback', () => {
  it('uses NVENC when the node has it', async () => {
    const seen: string[] = [];
    const run = await runWithEncoderFallback({ nvenc: true }, new NvencSessionLimiter(), async (encoder) => {
      seen.push(encoder.name);
      return 'built';
    });
    assert.deepEqual(seen, ['h264_nvenc']);
    assert.equal(run.result, 'built');
    assert.equal(run.encoder.name, 'h264_nvenc');
    assert.equal(run.fellBack, false);
    assert.equal(run.nvencError, undefined);
  });

  it('retries this job on libx264 when NVENC fails on the GPU side, and reports why', async () => {
    const seen: string[] = [];
    const health = new NvencHealth();
    const capabilities = { nvenc: true };
    const run = await runWithEncoderFallback(
      capabilities,
      new NvencSessionLimiter(),
      async (encoder) => {
        seen.push(encoder.name);
        if (encoder.name === 'h264_nvenc') throw ffmpegFailure(nvencStderr);
        return encoder.settings;
      },
      { health, overrides: { x264Preset: 'ultrafast' } },
    );
    assert.deepEqual(seen, ['h264_nvenc', 'libx264']);
    assert.equal(run.encoder.name, 'libx264');
    assert.equal((run.result as { preset: string }).preset, 'ultrafast');
    assert.equal(run.fellBack, true);
    assert.match(run.nvencError ?? '', /OpenEncodeSessionEx failed/);
    assert.deepEqual(capabilities, { nvenc: true }, 'one failure does not flip the node to software');
    assert.equal(health.consecutiveFailures, 1);
    assert.equal(health.coolingDownReason(), null);
  });

  it('never tries NVENC on a software-only node and does not hide a software failure', async () => {
    const seen: string[] = [];
    const run = await runWithEncoderFallback({ nvenc: false }, new NvencSessionLimiter(), async (encoder) => {
      seen.push(encoder.name);
      return 1;
    });
    assert.deepEqual(seen, ['libx264']);
    assert.equal(run.fellBack, false);

    const failure = ffmpegFailure('something broke');
    await assert.rejects(
      runWithEncoderFallback({ nvenc: false }, new NvencSessionLimiter(), async () => {
        throw failure;
      }),
      (err) => err === failure,
    );
  });

  it('does not retry on software when the input is at fault', async () => {
    const seen: string[] = [];
    await assert.rejects(
      runWithEncoderFallback({ nvenc: true }, new NvencSessionLimiter(), async (encoder: VideoEncoder) => {
        seen.push(encoder.name);
        throw ffmpegFailure('moov atom not found\nfile:/in.mov: Invalid data found when processing input');
      }),
      MediaToolError,
    );
    assert.deepEqual(seen, ['h264_nvenc']);
  });

  it('a run of GPU failures opens a cool-down that skips NVENC, then NVENC is tried again', async () => {
    let now = 1_000_000;
    const health = new NvencHealth({ failuresBeforeCoolDown: 2, coolDownMs: 60_000, now: () => now });
    const limiter = new NvencSessionLimiter();
    let gpuWorks = false;
    const seen: string[] = [];
    const build = async (encoder: VideoEncoder) => {
      seen.push(encoder.name);
      if (encoder.name === 'h264_nvenc' && !gpuWorks) throw ffmpegFailure(nvencStderr);
      return encoder.name;
    };
    await runWithEncoderFallback({ nvenc: true }, limiter, build, { health });
    await runWithEncoderFallback({ nvenc: true }, limiter, build, { health });
    assert.match(health.coolingDownReason() ?? '', /cooling down for 60 s after 2 consecutive failures/);

    seen.length = 0;
    const skipped = await runWithEncoderFallback({ nvenc: true }, limiter, build, { health });
    assert.deepEqual(seen, ['libx264'], 'during the cool-down NVENC is not even tried');
    assert.equal(skipped.fellBack, false);
    assert.match(skipped.nvencError ?? '', /cooling down/);

    now += 60_000;
    gpuWorks = true;
    seen.length = 0;
    const recovered = await runWithEncoderFallback({ nvenc: true }, limiter, build, { health });
    assert.deepEqual(seen, ['h264_nvenc']);
    assert.equal(recovered.encoder.name, 'h264_nvenc');
    assert.equal(health.consecutiveFailures, 0);
  });

  it('holds the job’s NVENC sessions in the limiter, and software jobs take none', async () => {
    const limiter = new NvencSessionLimiter(4);
    const observed: number[] = [];
    await runWithEncoderFallback({ nvenc: true }, limiter, async () => void observed.push(limiter.inUse), {
      nvencSessions: 4,
    });
    await runWithEncoderFallback({ nvenc: false }, limiter, async () => void observed.push(limiter.inUse), {
      nvencSessions: 4,
    });
    assert.deepEqual(observed, [4, 0]);
    assert.equal(limiter.inUse, 0);
  });
});

describe('NvencSessionLimiter', () => {
  it('never lets more sessions run than the GPU allows, and runs them all', async () => {
    const limiter = new NvencSessionLimiter(3);
    let running = 0;
    let peak = 0;
    const gates = Array.from({ length: 8 }, gate);
    const jobs = gates.map((g, i) =>
      runWithEncoderFallback({ nvenc: true }, limiter, async () => {
        running += 1;
        peak = Math.max(peak, running);
        await g.promise;
        running -= 1;
        return i;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(running, 3);
    assert.equal(limiter.waiting, 5);
    // Finish them in reverse order of start, which must not let the waiting ones overtake the bound.
    for (const g of gates.toReversed()) g.open();
    const results = await Promise.all(jobs);
    assert.deepEqual(
      results.map((r) => r.result),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
    assert.equal(peak, 3);
    assert.equal(limiter.inUse, 0);
    assert.equal(limiter.waiting, 0);
  });

  it('counts sessions, grants in arrival order, and clamps a job larger than the GPU', async () => {
    const limiter = new NvencSessionLimiter(3);
    const order: string[] = [];
    const first = gate();
    const a = limiter.run(
      async () => {
        order.push('a:2');
        await first.promise;
      },
      { sessions: 2 },
    );
    const b = limiter.run(async () => void order.push(`b:2 with ${limiter.inUse} in use`), { sessions: 2 });
    const c = limiter.run(async () => void order.push(`c:1 with ${limiter.inUse} in use`), { sessions: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    // c would fit beside a, but b arrived first and is not overtaken.
    assert.deepEqual(order, ['a:2']);
    first.open();
    await Promise.all([a, b, c]);
    // When a releases, b and then c fit together: both are granted before either body runs.
    assert.deepEqual(order, ['a:2', 'b:2 with 3 in use', 'c:1 with 3 in use']);

    await limiter.run(async () => assert.equal(limiter.inUse, 3), { sessions: 9 });
  });

  it('releases sessions when the task fails, and a waiting job can be aborted', async () => {
    const limiter = new NvencSessionLimiter(1);
    await assert.rejects(
      limiter.run(async () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(limiter.inUse, 0);

    const hold = gate();
    const holder = limiter.run(() => hold.promise);
    const controller = new AbortController();
    const waiter = limiter.run(async () => 'never', { signal: controller.signal });
    assert.equal(limiter.waiting, 1);
    controller.abort(new Error('job cancelled'));
    await assert.rejects(waiter, /job cancelled/);
    assert.equal(limiter.waiting, 0);
    hold.open();
    await holder;
    assert.equal(limiter.inUse, 0);
  });

  it('refuses a nonsensical bound', () => {
    assert.throws(
      () => new NvencSessionLimiter(0),
      (err) => isAppError(err) && err.code === 'bad_request',
    );
  });
});
