/**
 * ASC MHL v2 (the ASC Media Hash List, https://theasc.com/society/ascmhl):
 * reading the hash lists a camera-card offload tool leaves in an `ascmhl/`
 * folder, and checking files against them while they are read for upload.
 *
 * A hash list looks like
 *   <hashlist version="2.0" xmlns="urn:ASC:MHL:v2.0">
 *     <hashes>
 *       <hash>
 *         <path size="1024" lastmodificationdate="…">A001/clip.mov</path>
 *         <xxh64 action="original" hashdate="…">0ea03b369a463d9d</xxh64>
 *       </hash>
 *       <directoryhash>…</directoryhash>
 *     </hashes>
 *   </hashlist>
 * Paths are relative to the folder that holds `ascmhl/` (the history's root),
 * '/'-separated. Generations are numbered files (0001_…mhl, 0002_…); a later
 * generation's entry for a path replaces an earlier one.
 */
import { createHash, type Hash } from 'node:crypto';
import xxhash from 'xxhash-wasm';

/** Hash formats ASC MHL v2 defines; the ones in `verifiableFormats` are checked. */
export const mhlHashFormats = ['xxh64', 'md5', 'sha1', 'xxh3', 'xxh128', 'c4'] as const;
export type MhlHashFormat = (typeof mhlHashFormats)[number];
export const verifiableFormats = ['xxh64', 'md5', 'sha1'] as const satisfies readonly MhlHashFormat[];
type VerifiableFormat = (typeof verifiableFormats)[number];

export interface MhlEntry {
  /** Relative to the history's root, '/'-separated, NFC. */
  path: string;
  size: number | null;
  /** Lowercase hex (c4 as written). */
  hashes: Partial<Record<MhlHashFormat, string>>;
}

export class MhlParseError extends Error {
  readonly code = 'mhl_invalid';
  override name = 'MhlParseError';
}

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name: string) => {
    if (name[0] === '#')
      return String.fromCodePoint(
        name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10),
      );
    return entities[name] ?? whole;
  });
}

/** The file entries (`<hash>` elements) of one ASC MHL document; directory hashes are ignored. */
export function parseMhl(xml: string): MhlEntry[] {
  if (!/<hashlist\b/.test(xml)) throw new MhlParseError('not an ASC MHL document: no <hashlist> element');
  const entries: MhlEntry[] = [];
  const body = xml.replace(/<!--[\s\S]*?-->/g, '');
  for (const match of body.matchAll(/<hash\b[^>]*>([\s\S]*?)<\/hash>/g)) {
    const inner = match[1]!;
    const path = /<path\b([^>]*)>([^<]*)<\/path>/.exec(inner);
    if (!path) throw new MhlParseError(`a <hash> element has no <path>: ${inner.trim().slice(0, 120)}`);
    const sizeAttribute = /\bsize\s*=\s*"(\d+)"/.exec(path[1]!);
    const hashes: MhlEntry['hashes'] = {};
    for (const format of mhlHashFormats) {
      const value = new RegExp(`<${format}\\b[^>]*>([^<]*)</${format}>`).exec(inner);
      if (value) hashes[format] = format === 'c4' ? value[1]!.trim() : value[1]!.trim().toLowerCase();
    }
    entries.push({
      path: decodeXmlText(path[2]!.trim()).normalize('NFC'),
      size: sizeAttribute ? Number(sizeAttribute[1]) : null,
      hashes,
    });
  }
  return entries;
}

/** Entries of several generations, later ones replacing earlier ones for the same path. */
export function mergeGenerations(generations: MhlEntry[][]): Map<string, MhlEntry> {
  const byPath = new Map<string, MhlEntry>();
  for (const entries of generations) for (const entry of entries) byPath.set(entry.path, entry);
  return byPath;
}

export interface MhlMismatch {
  format: MhlHashFormat | 'size';
  expected: string;
  actual: string;
}

export interface MhlOutcome {
  /** Formats that were computed and matched. */
  verified: MhlHashFormat[];
  mismatches: MhlMismatch[];
  /** Formats listed for the file that this client cannot compute (xxh3, xxh128, c4). */
  unverifiable: MhlHashFormat[];
}

/** Fed every byte of a file in order (during the upload's single read); `outcome()` compares at the end. */
export interface MhlCheck {
  update(chunk: Uint8Array): void;
  outcome(): MhlOutcome;
}

let xxhashApi: ReturnType<typeof xxhash> | undefined;

export async function createMhlCheck(entry: MhlEntry): Promise<MhlCheck> {
  const formats = verifiableFormats.filter((f) => entry.hashes[f] !== undefined);
  const unverifiable = mhlHashFormats.filter(
    (f) => entry.hashes[f] !== undefined && !(verifiableFormats as readonly string[]).includes(f),
  );
  const digests: { format: VerifiableFormat; update(chunk: Uint8Array): void; hex(): string }[] = [];
  for (const format of formats) {
    if (format === 'xxh64') {
      xxhashApi ??= xxhash();
      const hasher = (await xxhashApi).create64();
      digests.push({
        format,
        update: (chunk) => void hasher.update(chunk),
        hex: () => hasher.digest().toString(16).padStart(16, '0'),
      });
    } else {
      const hash: Hash = createHash(format);
      digests.push({ format, update: (chunk) => void hash.update(chunk), hex: () => hash.digest('hex') });
    }
  }
  let size = 0;
  return {
    update(chunk) {
      size += chunk.length;
      for (const digest of digests) digest.update(chunk);
    },
    outcome() {
      const mismatches: MhlMismatch[] = [];
      const verified: MhlHashFormat[] = [];
      if (entry.size !== null && entry.size !== size)
        mismatches.push({ format: 'size', expected: String(entry.size), actual: String(size) });
      for (const digest of digests) {
        const actual = digest.hex();
        if (actual === entry.hashes[digest.format]) verified.push(digest.format);
        else mismatches.push({ format: digest.format, expected: entry.hashes[digest.format]!, actual });
      }
      return { verified, mismatches, unverifiable };
    },
  };
}
