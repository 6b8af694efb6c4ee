/**
 * What kind of content a master is, from its first bytes (and, for formats without
 * a signature, its name). Pure. Promotion uses it to spare ffprobe, MediaInfo and
 * ffmpeg the files they cannot read (archives, documents, project files, random
 * data): those still become versions, they just get no probe or preview jobs.
 */

export type ContentKind = 'media' | 'xml' | 'other';

const ascii = (head: Buffer, offset: number, text: string) =>
  head.subarray(offset, offset + text.length).toString('latin1') === text;
const bytes = (head: Buffer, offset: number, values: number[]) => values.every((v, i) => head[offset + i] === v);

/**
 * An elementary audio stream has no signature, only an 11- or 12-bit frame sync that one
 * random file in about 2,700 starts with (and each such file would then cost a probe and a
 * preview that fail): it counts as media only when a second valid frame header follows the
 * first, at the length the first declares, and agrees with it.
 */
interface AudioFrame {
  length: number;
  /** What every frame of one stream shares (version, layer or profile, sample rate). */
  stream: number;
}

const mpegBitratesKbps: Record<string, number[]> = {
  'v1-l1': [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  'v1-l2': [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  'v1-l3': [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  'v2-l1': [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  'v2-l2': [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160], // MPEG-2 and 2.5 layers II and III share one table
};
/** By version bits (0: MPEG-2.5, 2: MPEG-2, 3: MPEG-1; 1 is reserved). */
const mpegSampleRates: Record<number, number[]> = {
  0: [11025, 12000, 8000],
  2: [22050, 24000, 16000],
  3: [44100, 48000, 32000],
};

/** An MPEG-1/2/2.5 audio frame header (layer I, II or III) at `at`, free-format bitrate excluded. */
export function mpegAudioFrame(h: Buffer, at: number): AudioFrame | null {
  if (at + 4 > h.length || h[at] !== 0xff || (h[at + 1]! & 0xe0) !== 0xe0) return null;
  const version = (h[at + 1]! >> 3) & 3;
  const layer = 4 - ((h[at + 1]! >> 1) & 3); // bits 3, 2, 1 are layers I, II, III; 0 is reserved
  const bitrateIndex = h[at + 2]! >> 4;
  const rateIndex = (h[at + 2]! >> 2) & 3;
  const rates = mpegSampleRates[version];
  if (!rates || layer === 4 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return null;
  const bitrate = mpegBitratesKbps[version === 3 ? `v1-l${layer}` : `v2-l${Math.min(layer, 2)}`]![bitrateIndex]! * 1000;
  const sampleRate = rates[rateIndex]!;
  const padding = (h[at + 2]! >> 1) & 1;
  const length =
    layer === 1
      ? (Math.floor((12 * bitrate) / sampleRate) + padding) * 4
      : Math.floor(((layer === 3 && version !== 3 ? 72 : 144) * bitrate) / sampleRate) + padding;
  return { length, stream: (version << 4) | (layer << 2) | rateIndex };
}

/** An ADTS (AAC) frame header at `at`. */
export function adtsFrame(h: Buffer, at: number): AudioFrame | null {
  if (at + 7 > h.length || h[at] !== 0xff || (h[at + 1]! & 0xf6) !== 0xf0) return null; // 12-bit sync, layer 0
  const profileAndRate = h[at + 2]! >> 2; // 2 bits of profile, 4 of sampling frequency index
  if ((profileAndRate & 0x0f) >= 13) return null;
  const headerLength = h[at + 1]! & 1 ? 7 : 9; // 9 when a CRC follows
  const length = ((h[at + 3]! & 0x03) << 11) | (h[at + 4]! << 3) | (h[at + 5]! >> 5);
  if (length < headerLength) return null;
  return { length, stream: ((h[at + 1]! & 0x08) << 3) | profileAndRate };
}

/** A first frame at 0 and a second of the same stream where the first ends, within the head. */
function framesFollow(h: Buffer, frameAt: (h: Buffer, at: number) => AudioFrame | null): boolean {
  const first = frameAt(h, 0);
  if (!first) return false;
  return frameAt(h, first.length)?.stream === first.stream;
}

/** Transport-stream packets: the sync byte 0x47 at `offset` of every `size`-byte packet the head holds (one whole at least). */
function packetsAligned(h: Buffer, offset: number, size: number): boolean {
  if (h.length < size) return false;
  for (let at = offset; at < h.length; at += size) if (h[at] !== 0x47) return false;
  return true;
}

/** Container signatures of media a post-production archive holds. */
const signatures: ((head: Buffer) => boolean)[] = [
  // ISO BMFF / QuickTime (mp4, mov, m4a, cr3, heic, 3gp): a box type at offset 4
  (h) =>
    ['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip', 'pnot', 'styp', 'sidx', 'moof'].some((box) => ascii(h, 4, box)),
  (h) => bytes(h, 0, [0x06, 0x0e, 0x2b, 0x34]), // MXF (SMPTE UL)
  (h) => ascii(h, 0, 'RIFF'), // WAV, AVI, WebP
  (h) => ascii(h, 0, 'RF64') || ascii(h, 0, 'BW64'), // large WAV
  (h) => ascii(h, 0, 'FORM'), // AIFF
  (h) => ascii(h, 0, 'fLaC') || ascii(h, 0, 'OggS') || ascii(h, 0, 'ID3'),
  (h) => framesFollow(h, mpegAudioFrame) || framesFollow(h, adtsFrame), // MP3/MP2 and AAC streams without a container
  (h) => bytes(h, 0, [0x1a, 0x45, 0xdf, 0xa3]), // Matroska, WebM
  (h) => packetsAligned(h, 0, 188), // MPEG-TS
  (h) => packetsAligned(h, 4, 192), // M2TS / AVCHD (a 4-byte timestamp before each packet)
  (h) => bytes(h, 0, [0x00, 0x00, 0x01, 0xba]) || bytes(h, 0, [0x00, 0x00, 0x01, 0xb3]), // MPEG-PS, MPEG-1/2 video
  (h) => bytes(h, 0, [0x89, 0x50, 0x4e, 0x47]) || bytes(h, 0, [0xff, 0xd8, 0xff]) || ascii(h, 0, 'GIF8'), // PNG, JPEG, GIF
  (h) => ascii(h, 0, 'II*\u0000') || ascii(h, 0, 'MM\u0000*'), // TIFF, DNG
  (h) => ascii(h, 0, 'SDPX') || ascii(h, 0, 'XPDS'), // DPX
  (h) => bytes(h, 0, [0x76, 0x2f, 0x31, 0x01]), // OpenEXR
  (h) => ascii(h, 0, 'FLV') || ascii(h, 0, '.RMF') || bytes(h, 0, [0x30, 0x26, 0xb2, 0x75]), // FLV, RealMedia, ASF/WMV
];

/** Camera-raw and other formats whose files carry no signature ffprobe or MediaInfo could be refused on. */
const mediaExtensions = new Set([
  'mp3',
  'mp2',
  'r3d',
  'braw',
  'ari',
  'arx',
  'crm',
  'mts',
  'm2ts',
  'dv',
  'dif',
  'h264',
  'h265',
  'hevc',
  'aac',
  'ac3',
  'ec3',
  'dts',
  'y4m',
  'vob',
  'mpg',
  'mpeg',
  'nef',
  'cr2',
  'arw',
]);

/**
 * Whether a file's first bytes open an XML document: text (no bytes that are not UTF-8, no
 * control characters but whitespace) starting, after a BOM and whitespace, with `<?xml` or an
 * element. One random file in about 1,300 starts with `<` and a letter; the text check keeps
 * such binary data (a camera file, say) from being read whole as a document.
 */
export function looksLikeXml(head: Buffer): boolean {
  // A multi-byte character cut at the end of the head is not a reason to refuse it.
  const text = head
    .subarray(0, 256)
    .toString('utf8')
    .replace(/\uFFFD{1,3}$/, '')
    .replace(/^\uFEFF/, '');
  // eslint-disable-next-line no-control-regex
  if (text.includes('\uFFFD') || /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text)) return false;
  return /^\s*<(\?xml|[A-Za-z_])/.test(text);
}

export function sniffContent(head: Buffer, fileName: string): ContentKind {
  if (looksLikeXml(head)) return 'xml';
  if (head.length >= 4 && signatures.some((matches) => matches(head))) return 'media';
  const dot = fileName.lastIndexOf('.');
  if (dot >= 0 && mediaExtensions.has(fileName.slice(dot + 1).toLowerCase())) return 'media';
  return 'other';
}
