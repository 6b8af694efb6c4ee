/**
 * What kind of content a master is, from its first bytes (and, for formats without
 * a signature, its name). Pure. Promotion uses it to spare ffprobe, MediaInfo and
 * ffmpeg the files they cannot read (archives, documents, project files, random
 * data): those still become versions, they just get no probe or preview jobs.
 */

export type ContentKind = 'media' | 'xml' | 'other';

const ascii = (head: Buffer, offset: number, text: string) => head.subarray(offset, offset + text.length).toString('latin1') === text;
const bytes = (head: Buffer, offset: number, values: number[]) => values.every((v, i) => head[offset + i] === v);

/** Container signatures of media a post-production archive holds. */
const signatures: ((head: Buffer) => boolean)[] = [
  // ISO BMFF / QuickTime (mp4, mov, m4a, cr3, heic, 3gp): a box type at offset 4
  (h) => ['ftyp', 'moov', 'mdat', 'wide', 'free', 'skip', 'pnot', 'styp', 'sidx', 'moof'].some((box) => ascii(h, 4, box)),
  (h) => bytes(h, 0, [0x06, 0x0e, 0x2b, 0x34]), // MXF (SMPTE UL)
  (h) => ascii(h, 0, 'RIFF'), // WAV, AVI, WebP
  (h) => ascii(h, 0, 'RF64') || ascii(h, 0, 'BW64'), // large WAV
  (h) => ascii(h, 0, 'FORM'), // AIFF
  (h) => ascii(h, 0, 'fLaC') || ascii(h, 0, 'OggS') || ascii(h, 0, 'ID3'),
  (h) => h[0] === 0xff && ((h[1] ?? 0) & 0xe0) === 0xe0 && ((h[1] ?? 0) & 0x06) !== 0, // MPEG audio / ADTS frame sync
  (h) => bytes(h, 0, [0x1a, 0x45, 0xdf, 0xa3]), // Matroska, WebM
  (h) => h[0] === 0x47 && (h.length < 189 || h[188] === 0x47), // MPEG-TS
  (h) => h[4] === 0x47 && (h.length < 197 || h[196] === 0x47), // M2TS / AVCHD (192-byte packets)
  (h) => bytes(h, 0, [0x00, 0x00, 0x01, 0xba]) || bytes(h, 0, [0x00, 0x00, 0x01, 0xb3]), // MPEG-PS, MPEG-1/2 video
  (h) => bytes(h, 0, [0x89, 0x50, 0x4e, 0x47]) || bytes(h, 0, [0xff, 0xd8, 0xff]) || ascii(h, 0, 'GIF8'), // PNG, JPEG, GIF
  (h) => ascii(h, 0, 'II*\u0000') || ascii(h, 0, 'MM\u0000*'), // TIFF, DNG
  (h) => ascii(h, 0, 'SDPX') || ascii(h, 0, 'XPDS'), // DPX
  (h) => bytes(h, 0, [0x76, 0x2f, 0x31, 0x01]), // OpenEXR
  (h) => ascii(h, 0, 'FLV') || ascii(h, 0, '.RMF') || bytes(h, 0, [0x30, 0x26, 0xb2, 0x75]), // FLV, RealMedia, ASF/WMV
];

/** Camera-raw and other formats whose files carry no signature ffprobe or MediaInfo could be refused on. */
const mediaExtensions = new Set(['r3d', 'braw', 'ari', 'arx', 'crm', 'mts', 'm2ts', 'dv', 'dif', 'h264', 'h265', 'hevc', 'aac', 'ac3', 'ec3', 'dts', 'y4m', 'vob', 'mpg', 'mpeg', 'nef', 'cr2', 'arw']);

/**
 * Whether a file's first bytes open an XML document: text (no bytes that are not UTF-8, no
 * control characters but whitespace) starting, after a BOM and whitespace, with `<?xml` or an
 * element. One random file in about 1,300 starts with `<` and a letter; the text check keeps
 * such binary data (a camera file, say) from being read whole as a document.
 */
export function looksLikeXml(head: Buffer): boolean {
  // A multi-byte character cut at the end of the head is not a reason to refuse it.
  const text = head.subarray(0, 256).toString('utf8').replace(/\uFFFD{1,3}$/, '').replace(/^\uFEFF/, '');
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
