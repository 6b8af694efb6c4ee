import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isAppError } from '@mediavault/core/errors';
import {
  MediaToolError,
  parseProgress,
  runFfmpeg,
  runFfprobe,
  runMediainfo,
  type FfmpegProgress,
} from '../src/media/run.ts';
import { generateClip, makeTempDir } from './fixtures.ts';

const quiet = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error'];

/** Sets an environment variable for one test and puts the old value back afterwards. */
function withEnv(t: { after(fn: () => void): void }, name: string, value: string): void {
  const previous = process.env[name];
  process.env[name] = value;
  t.after(() => {
    if (previous === undefined) delete process.env[name];
    else process.env[name] = previous;
  });
}

describe('runFfmpeg', () => {
  it('rejects with the tail of stderr when ffmpeg fails', async () => {
    await assert.rejects(runFfmpeg([...quiet, '-i', '/nonexistent/input.mov', '-f', 'null', '-']), (err: unknown) => {
      assert.ok(err instanceof MediaToolError);
      assert.equal(err.tool, 'ffmpeg');
      assert.equal(err.exitCode, 1);
      assert.match(err.reason, /No such file or directory/);
      assert.match(err.stderrTail, /\/nonexistent\/input\.mov/);
      assert.match(err.message, /^ffmpeg failed: .*No such file or directory/);
      return true;
    });
  });

  it('reports progress up to the end', async () => {
    const events: FfmpegProgress[] = [];
    await runFfmpeg([...quiet, '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25:duration=2', '-f', 'null', '-'], {
      onProgress: (p) => events.push(p),
    });
    const last = events.at(-1);
    assert.equal(last?.done, true);
    assert.ok(Math.abs((last?.outTimeSeconds ?? 0) - 2) < 0.1, `ended at ${last?.outTimeSeconds}`);
    assert.ok(events.slice(0, -1).every((p) => !p.done));
  });

  it('kills ffmpeg when the signal aborts', async () => {
    const controller = new AbortController();
    // An endless source: only the abort can end this run.
    const run = runFfmpeg([...quiet, '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25', '-f', 'null', '-'], {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await assert.rejects(run, { name: 'AbortError' });
  });

  it('does not start at all when the signal is already aborted', async () => {
    const reason = new Error('job cancelled');
    await assert.rejects(runFfmpeg(['-version'], { signal: AbortSignal.abort(reason) }), reason);
  });

  it('runs the binary named by FFMPEG_PATH', async (t) => {
    // /bin/false exits 1 where ffmpeg -version would succeed, so the failure proves which binary ran.
    withEnv(t, 'FFMPEG_PATH', '/bin/false');
    await assert.rejects(runFfmpeg(['-version']), (err: unknown) => {
      assert.ok(err instanceof MediaToolError);
      assert.equal(err.exitCode, 1);
      assert.equal(err.reason, 'exit code 1');
      return true;
    });
  });

  it('says which variable to set when the binary is missing', async (t) => {
    withEnv(t, 'FFMPEG_PATH', '/nonexistent/ffmpeg');
    await assert.rejects(runFfmpeg(['-version']), (err: unknown) => {
      assert.ok(isAppError(err));
      assert.equal(err.code, 'unavailable');
      assert.match(err.message, /ffmpeg not found at "\/nonexistent\/ffmpeg" \(install it or set FFMPEG_PATH\)/);
      return true;
    });
  });
});

describe('parseProgress', () => {
  it('reads out_time_us and speed, tolerating N/A', () => {
    assert.deepEqual(parseProgress({ out_time_us: '1500000', speed: '2.5x', progress: 'continue' }), {
      outTimeSeconds: 1.5,
      speed: 2.5,
      done: false,
    });
    assert.deepEqual(parseProgress({ out_time_us: 'N/A', speed: 'N/A', progress: 'end' }), {
      outTimeSeconds: 0,
      speed: null,
      done: true,
    });
  });
});

describe('runFfprobe and runMediainfo', () => {
  it('return parsed JSON for a real clip', async (t) => {
    const dir = await makeTempDir(t);
    const path = await generateClip(dir, { width: 160, height: 90, seconds: 1 });
    const probe = await runFfprobe(path);
    assert.deepEqual(
      probe.streams.map((s) => s.codec_type),
      ['video', 'audio'],
    );
    assert.match(probe.format.format_name ?? '', /mp4/);
    const info = (await runMediainfo(path)) as { media: { track: { '@type': string; Width?: string }[] } };
    assert.deepEqual(
      info.media.track.map((track) => track['@type']),
      ['General', 'Video', 'Audio'],
    );
    assert.equal(info.media.track[1]?.Width, '160');
  });

  it('runFfprobe honours FFPROBE_PATH', async (t) => {
    withEnv(t, 'FFPROBE_PATH', '/nonexistent/ffprobe');
    await assert.rejects(runFfprobe(join('/tmp', 'x.mov')), { code: 'unavailable', message: /set FFPROBE_PATH/ });
  });
});
