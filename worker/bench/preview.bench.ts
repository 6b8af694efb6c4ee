/**
 * npm run bench:preview [-- --seconds N] [--runs N] [--keep]
 *
 * How much the whole preview set costs over the bare HLS ladder, and what one decode saves
 * over running ffmpeg once per output. Generates a 1080p25 ProRes 422 HQ 10-bit master with
 * stereo 24-bit PCM, then measures, interleaved run by run so that machine noise spreads evenly:
 *   (a) the full preview set through buildPreviewSet, the worker's own code path;
 *   (b) one hand-written ffmpeg command producing only the 3-rung HLS ladder (same x264
 *       settings, same AAC audio group);
 *   (c) one ffmpeg run per output: each rendition, the MP4, poster, sprites, waveform, loudness.
 * Prints medians; targets are a/b <= 1.25 and c/a >= 1.8. Not a test: nothing fails on a miss.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildProgressiveRemuxArgs,
  chooseVideoEncoder,
  defaultSegmentSeconds,
  defaultX264Settings,
  planPreview,
  planRenditions,
  previewAudioSettings,
  type Rendition,
} from '../src/media/ffmpeg-args.ts';
import { parseEbur128Summary } from '../src/media/loudness.ts';
import { buildPreviewSet } from '../src/media/preview-build.ts';
import { probeFile } from '../src/media/probe.ts';
import { runFfmpeg } from '../src/media/run.ts';
import { planSprites } from '../src/media/sprites.ts';
import { peaksFromRawS8, waveformSampleRate } from '../src/media/waveform.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    runs: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const runs = Number(values.runs);
if (!(seconds > 0) || !(Number.isInteger(runs) && runs > 0)) {
  console.error('usage: npm run bench:preview -- [--seconds N] [--runs N] [--keep]');
  process.exit(2);
}

const fps = 25;
const gop = fps * defaultSegmentSeconds;
const quiet = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-y'];
const x264 = [
  '-c:v',
  'libx264',
  '-preset',
  defaultX264Settings.preset,
  '-crf',
  String(defaultX264Settings.crf),
  '-profile:v',
  defaultX264Settings.profile,
  '-g',
  String(gop),
  '-keyint_min',
  String(gop),
  '-sc_threshold',
  '0',
  '-force_key_frames',
  `expr:gte(t,n_forced*${defaultSegmentSeconds})`,
];
const aac = [
  '-c:a',
  'aac',
  '-b:a',
  `${previewAudioSettings.bitrateKbps}k`,
  '-ac',
  '2',
  '-ar',
  String(previewAudioSettings.sampleRate),
];
const hlsOptions = (dir: string) => [
  '-f',
  'hls',
  '-hls_time',
  String(defaultSegmentSeconds),
  '-hls_playlist_type',
  'vod',
  '-hls_segment_type',
  'fmp4',
  '-hls_flags',
  'independent_segments',
  '-hls_segment_filename',
  join(dir, '%v', 'seg_%05d.m4s'),
];
const scale = (r: { width: number; height: number }) =>
  `scale=${r.width}:${r.height}:flags=bicubic,setsar=1,format=yuv420p`;

interface Measurement {
  wall: number;
  /** CPU seconds of the ffmpeg/ffprobe children plus this process: steadier than wall time on a shared machine. */
  cpu: number;
}

/** user + system CPU seconds of this process and of its children that have been waited for (Linux). */
async function cpuSeconds(): Promise<number> {
  const own = process.cpuUsage();
  try {
    const stat = await readFile('/proc/self/stat', 'utf8');
    // Fields after the parenthesised command name; cutime and cstime are the 16th and 17th overall.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const children = (Number(fields[13]) + Number(fields[14])) / 100; // in clock ticks of 1/100 s
    return (own.user + own.system) / 1e6 + children;
  } catch {
    return Number.NaN;
  }
}

async function timed(fn: () => Promise<unknown>): Promise<Measurement> {
  const cpuBefore = await cpuSeconds();
  const start = process.hrtime.bigint();
  await fn();
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  return { wall, cpu: (await cpuSeconds()) - cpuBefore };
}

function median(list: number[]): number {
  const sorted = [...list].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** ProRes is intra-only: a few encoded seconds looped by copy make a long master quickly. */
async function generateMaster(dir: string): Promise<string> {
  const part = join(dir, 'part.mov');
  const path = join(dir, 'master.mov');
  const partSeconds = Math.min(seconds, 4);
  await runFfmpeg([
    ...quiet,
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=1920x1080:rate=${fps}:duration=${partSeconds}`,
    '-f',
    'lavfi',
    '-i',
    `aevalsrc=0.1*sin(2*PI*440*t)|0.1*sin(2*PI*660*t):s=48000:d=${partSeconds}`,
    '-c:v',
    'prores_ks',
    '-profile:v',
    '3',
    '-pix_fmt',
    'yuv422p10le',
    '-vendor',
    'apl0',
    '-c:a',
    'pcm_s24le',
    '-ac',
    '2',
    part,
  ]);
  await runFfmpeg([
    ...quiet,
    '-stream_loop',
    String(Math.ceil(seconds / partSeconds)),
    '-i',
    part,
    '-t',
    String(seconds),
    '-c',
    'copy',
    path,
  ]);
  await rm(part);
  return path;
}

/** (b): the ladder alone, one decode, one command, written out by hand. */
async function ladderOnly(master: string, out: string, renditions: Rendition[]): Promise<void> {
  const split = renditions.map((_, i) => `[v${i}]`).join('');
  const graph = [
    `[0:v]split=${renditions.length}${split}`,
    ...renditions.map((r, i) => `[v${i}]${scale(r)}[hls${i}]`),
  ].join(';');
  await runFfmpeg([
    ...quiet,
    '-i',
    `file:${master}`,
    '-filter_complex',
    graph,
    ...renditions.flatMap((_, i) => ['-map', `[hls${i}]`]),
    '-map',
    '0:a',
    ...x264,
    ...renditions.flatMap((r, i) => [`-maxrate:v:${i}`, `${r.maxrateKbps}k`, `-bufsize:v:${i}`, `${r.bufsizeKbps}k`]),
    ...aac,
    ...hlsOptions(out),
    '-master_pl_name',
    'master.m3u8',
    '-var_stream_map',
    ['a:0,agroup:audio,name:audio', ...renditions.map((r, i) => `v:${i},agroup:audio,name:${r.name}`)].join(' '),
    join(out, '%v', 'index.m3u8'),
  ]);
}

/** (c): what a pipeline that decodes once per output does. */
async function onePerOutput(master: string, out: string, renditions: Rendition[]): Promise<void> {
  const input = ['-i', `file:${master}`];
  await Promise.all(
    [...renditions.map((r) => r.name), 'audio'].map((name) => mkdir(join(out, name), { recursive: true })),
  );
  for (const r of renditions) {
    await runFfmpeg(
      [
        ...quiet,
        ...input,
        '-map',
        '0:v',
        '-vf',
        scale(r),
        ...x264,
        '-maxrate',
        `${r.maxrateKbps}k`,
        '-bufsize',
        `${r.bufsizeKbps}k`,
        ...hlsOptions(out),
        join(out, r.name, 'index.m3u8'),
      ].map((arg) => arg.replace('%v', r.name)),
    );
  }
  await runFfmpeg(
    [...quiet, ...input, '-map', '0:a', ...aac, ...hlsOptions(out), join(out, 'audio', 'index.m3u8')].map((arg) =>
      arg.replace('%v', 'audio'),
    ),
  );
  const top = renditions[0]!;
  await runFfmpeg([
    ...quiet,
    ...input,
    '-map',
    '0:v',
    '-map',
    '0:a',
    '-vf',
    scale(top),
    ...x264,
    '-maxrate',
    `${top.maxrateKbps}k`,
    '-bufsize',
    `${top.bufsizeKbps}k`,
    ...aac,
    '-movflags',
    '+faststart',
    join(out, 'preview.mp4'),
  ]);
  await runFfmpeg([
    ...quiet,
    '-ss',
    String(seconds * 0.1),
    ...input,
    '-map',
    '0:v',
    '-frames:v',
    '1',
    '-vf',
    'scale=1280:720:flags=bicubic:out_range=full,setsar=1,format=yuvj420p',
    '-q:v',
    '3',
    join(out, 'poster.jpg'),
  ]);
  const sprites = planSprites({ width: 1920, height: 1080 }, seconds)!;
  await runFfmpeg([
    ...quiet,
    ...input,
    '-map',
    '0:v',
    '-frames:v',
    '1',
    '-q:v',
    '5',
    '-vf',
    `fps=fps=1/${sprites.intervalSeconds},scale=${sprites.tileWidth}:${sprites.tileHeight}:flags=bicubic:out_range=full,setsar=1,format=yuvj420p,tile=${sprites.columns}x${sprites.rows}`,
    join(out, 'sprite.jpg'),
  ]);
  const raw = join(out, 'waveform.s8');
  await runFfmpeg([
    ...quiet,
    ...input,
    '-map',
    '0:a',
    '-af',
    `aresample=${waveformSampleRate},aformat=sample_fmts=u8:channel_layouts=mono`,
    '-c:a',
    'pcm_s8',
    '-f',
    's8',
    raw,
  ]);
  await peaksFromRawS8(raw);
  let log = '';
  await runFfmpeg(
    [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-loglevel',
      'info',
      ...input,
      '-map',
      '0:a',
      '-af',
      'ebur128=peak=true:framelog=verbose',
      '-f',
      'null',
      '-',
    ],
    {
      onStderr: (chunk) => {
        log = (log + chunk).slice(-65536);
      },
    },
  );
  if (!parseEbur128Summary(log)) throw new Error('(c) loudness run printed no summary');
}

const work = await mkdtemp(join(tmpdir(), 'mediavault-bench-'));
try {
  console.log(
    `preview benchmark: ${seconds} s 1080p${fps} ProRes 422 HQ 10-bit + stereo PCM s24le, ${runs} run(s), ${cpus().length} CPU(s), x264 preset ${defaultX264Settings.preset}`,
  );
  const generatedIn = (await timed(() => generateMaster(work))).wall;
  const master = join(work, 'master.mov');
  const summary = await probeFile(master);
  const renditions = planRenditions(summary.video!);
  console.log(`master generated in ${generatedIn.toFixed(1)} s; ladder ${renditions.map((r) => r.name).join(' / ')}`);

  const times = { a: [] as Measurement[], b: [] as Measurement[], c: [] as Measurement[], remux: [] as Measurement[] };
  const show = (m: Measurement) => `${m.wall.toFixed(2)} s (cpu ${m.cpu.toFixed(1)} s)`;
  for (let run = 1; run <= runs; run++) {
    const dir = (name: string) => join(work, `run${run}-${name}`);
    const a = await timed(() => buildPreviewSet(master, dir('a'), { encoder: chooseVideoEncoder({ nvenc: false }) }));
    // The remux is already inside (a); timed again alone to show its share.
    const plan = planPreview(summary);
    const remux = await timed(() => runFfmpeg(buildProgressiveRemuxArgs(dir('a'), plan)));
    await mkdir(dir('b'), { recursive: true });
    const b = await timed(() => ladderOnly(master, dir('b'), renditions));
    await mkdir(dir('c'), { recursive: true });
    const c = await timed(() => onePerOutput(master, dir('c'), renditions));
    times.a.push(a);
    times.b.push(b);
    times.c.push(c);
    times.remux.push(remux);
    console.log(`run ${run}: a ${show(a)}  b ${show(b)}  c ${show(c)}  remux pass ${show(remux)}`);
    if (!values.keep) await Promise.all(['a', 'b', 'c'].map((name) => rm(dir(name), { recursive: true, force: true })));
  }

  const wall = (list: Measurement[]) => median(list.map((m) => m.wall));
  const cpu = (list: Measurement[]) => median(list.map((m) => m.cpu));
  const [a, b, c] = [wall(times.a), wall(times.b), wall(times.c)];
  const [aCpu, bCpu, cCpu] = [cpu(times.a), cpu(times.b), cpu(times.c)];
  const row = (label: string, list: Measurement[]) =>
    `${label.padEnd(44)} ${wall(list).toFixed(2).padStart(7)} s  ${(seconds / wall(list)).toFixed(2).padStart(6)}x realtime  cpu ${cpu(list).toFixed(1).padStart(6)} s`;
  console.log(`\nmedians of ${runs} run(s)`);
  console.log(row('(a) full preview set (buildPreviewSet)', times.a));
  console.log(row('(b) 3-rung HLS ladder only, one command', times.b));
  console.log(row('(c) one ffmpeg run per output', times.c));
  console.log(row('    preview.mp4 remux pass (inside a)', times.remux));
  console.log(`\nwall: a/b = ${(a / b).toFixed(3)} (target <= 1.25)   c/a = ${(c / a).toFixed(3)} (target >= 1.8)`);
  console.log(`cpu:  a/b = ${(aCpu / bCpu).toFixed(3)}                    c/a = ${(cCpu / aCpu).toFixed(3)}`);
  if (cpus().length > 0)
    console.log(
      `load average at the end: ${(await readFile('/proc/loadavg', 'utf8').catch(() => 'n/a')).split(' ').slice(0, 3).join(' ')}`,
    );
  if (values.keep) console.log(`outputs kept in ${work}`);
} finally {
  if (!values.keep) await rm(work, { recursive: true, force: true });
}
