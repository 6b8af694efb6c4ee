/**
 * Reading the SMPTE XML documents of an IMF package (ASSETMAP, PKL, CPL) with fast-xml-parser.
 *
 * Namespace prefixes vary between authoring tools (`<cpl:CompositionPlaylist xmlns:cpl=…>`,
 * `<CompositionPlaylist xmlns=…>`, `cc:MainImageSequence`), so elements are read by local
 * name; the root element's namespace URI is checked separately, from the raw start tag, to
 * tell an IMF CPL from a DCP CPL or any other XML that happens to share an element name.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { errors } from '@mediavault/core/errors';

/** The largest file read as an XML document (CPL, PKL, ASSETMAP): larger ones are not read whole. */
export const maxXmlBytes = 16 * 1024 * 1024;

export type ImfDocumentKind = 'CompositionPlaylist' | 'PackingList' | 'AssetMap';

/** Namespace URIs accepted for each root element. */
export const imfNamespaces: Record<ImfDocumentKind, RegExp> = {
  // SMPTE ST 2067-3 (2013, 2016, 2020): the IMF Composition Playlist.
  CompositionPlaylist: /^http:\/\/www\.smpte-ra\.org\/schemas\/2067-3\/\d{4}$/,
  // ST 2067-2:2016 PKL, and ST 429-8:2007 PKL which IMF App 2 packages of 2013 still use.
  PackingList: /^http:\/\/www\.smpte-ra\.org\/schemas\/(2067-2\/\d{4}|429-8\/\d{4})\/PKL$/,
  // SMPTE ST 429-9:2007 Asset Map, shared by IMF and DCP.
  AssetMap: /^http:\/\/www\.smpte-ra\.org\/schemas\/429-9\/\d{4}\/AM$/,
};

const documentLabels: Record<ImfDocumentKind, string> = {
  CompositionPlaylist: 'CPL',
  PackingList: 'PKL',
  AssetMap: 'ASSETMAP',
};

/** Elements that repeat; always arrays after parsing, so one occurrence reads like many. */
const repeated = new Set(['Asset', 'Chunk', 'Segment', 'Resource', 'Locale', 'ContentVersion', 'Marker']);

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  // Ids, hashes and sizes stay strings: "0240" or a base64 hash must not become numbers.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => repeated.has(name),
  // "&amp;" in a title must decode; a DOCTYPE entity bomb must not expand without bound.
  processEntities: { enabled: true, maxEntityCount: 100, maxTotalExpansions: 1000, maxExpandedLength: 100_000 },
});

export interface RootElement {
  localName: string;
  namespace: string | null;
}

/**
 * The root element's local name and namespace URI, read from the raw start tag; null when the
 * text has no element at all. Comments, the XML declaration, processing instructions and a
 * DOCTYPE before the root are skipped.
 */
export function readRootElement(xml: string): RootElement | null {
  const body = xml
    .replace(/^\uFEFF/, '')
    .replace(/<\?[\s\S]*?\?>/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<!DOCTYPE[^[>]*(\[[\s\S]*?\])?\s*>/i, '');
  const start = /<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)((?:\s+[^>]*?)?)\/?>/.exec(body);
  if (!start) return null;
  const prefix = start[1]?.slice(0, -1);
  const attributes = start[3] ?? '';
  const declaration = prefix
    ? new RegExp(`\\sxmlns:${escapeRegExp(prefix)}\\s*=\\s*(["'])(.*?)\\1`)
    : /\sxmlns\s*=\s*(["'])(.*?)\1/;
  const namespace = declaration.exec(attributes)?.[2]?.trim() ?? null;
  return { localName: start[2]!, namespace };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Which IMF document this text is, judged by root element and namespace; null if none. */
export function imfDocumentKind(xml: string): ImfDocumentKind | null {
  const root = readRootElement(xml);
  if (!root) return null;
  const kind = root.localName as ImfDocumentKind;
  const accepted = imfNamespaces[kind];
  return accepted && root.namespace !== null && accepted.test(root.namespace) ? kind : null;
}

/**
 * Parses one IMF document and returns its root element's content (prefixes removed). Not
 * well-formed XML, another root element, or a foreign namespace answer `unprocessable` with
 * the reason and, for syntax errors, the line and column.
 */
export function parseImfDocument(xml: string, kind: ImfDocumentKind, source?: string): Record<string, unknown> {
  const label = documentLabels[kind];
  const where = source ? ` (${source})` : '';
  if (typeof xml !== 'string' || xml.trim() === '')
    throw errors.unprocessable(`the ${label}${where} is empty`, { document: label, source });
  const validation = XMLValidator.validate(xml);
  if (validation !== true) {
    const { msg, line, col } = validation.err;
    throw errors.unprocessable(`the ${label}${where} is not well-formed XML: ${msg} (line ${line}, column ${col})`, {
      document: label,
      source,
      line,
      column: col,
    });
  }
  const root = readRootElement(xml);
  if (!root || root.localName !== kind) {
    throw errors.unprocessable(
      `expected a ${label}${where} (root element ${kind}), found ${root ? `<${root.localName}>` : 'no element'}`,
      {
        document: label,
        source,
        rootElement: root?.localName ?? null,
      },
    );
  }
  if (root.namespace === null || !imfNamespaces[kind].test(root.namespace)) {
    throw errors.unprocessable(
      `the ${label}${where} has namespace ${root.namespace ?? '(none)'}, which is not an IMF ${label} namespace`,
      {
        document: label,
        source,
        namespace: root.namespace,
      },
    );
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = parser.parse(xml) as Record<string, unknown>;
  } catch (err) {
    throw errors.unprocessable(`the ${label}${where} could not be parsed: ${(err as Error).message}`, {
      document: label,
      source,
    });
  }
  const content = parsed[kind];
  if (typeof content !== 'object' || content === null) {
    throw errors.unprocessable(`the ${label}${where} has an empty ${kind} element`, { document: label, source });
  }
  return content as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Field readers shared by the document parsers

export class DocumentReader {
  readonly label: string;
  readonly source: string | undefined;

  constructor(kind: ImfDocumentKind, source?: string) {
    this.label = documentLabels[kind];
    this.source = source;
  }

  fail(message: string, details: Record<string, unknown> = {}): never {
    const where = this.source ? ` (${this.source})` : '';
    throw errors.unprocessable(`the ${this.label}${where} ${message}`, {
      document: this.label,
      source: this.source,
      ...details,
    });
  }

  /** Text content of a child element; elements with attributes keep their text under "#text". */
  optionalText(node: unknown, name: string): string | null {
    const value = child(node, name);
    if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as Record<string, unknown>)['#text'] === 'string'
    ) {
      const text = ((value as Record<string, unknown>)['#text'] as string).trim();
      return text === '' ? null : text;
    }
    return null;
  }

  text(node: unknown, name: string, path: string): string {
    return this.optionalText(node, name) ?? this.fail(`has no ${path}`, { element: path });
  }

  /** A non-negative integer such as a duration or a size (xs:nonNegativeInteger / xs:positiveInteger). */
  optionalCount(node: unknown, name: string, path: string): number | null {
    const text = this.optionalText(node, name);
    if (text === null) return null;
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)))
      this.fail(`has an invalid ${path}: "${text}"`, { element: path, value: text });
    return Number(text);
  }

  count(node: unknown, name: string, path: string): number {
    return this.optionalCount(node, name, path) ?? this.fail(`has no ${path}`, { element: path });
  }

  /** "urn:uuid:…" as IMF writes every Id; compared lower-case. */
  uuid(node: unknown, name: string, path: string): string {
    const text = this.text(node, name, path);
    const normalized = normalizeUrnUuid(text);
    return (
      normalized ?? this.fail(`has an invalid ${path}: "${text}" is not a urn:uuid`, { element: path, value: text })
    );
  }

  /** "24 1" or "30000 1001": the ST 2067-3 EditRate / ST 429-7 rational. */
  rational(node: unknown, name: string, path: string): { num: number; den: number } {
    const text = this.text(node, name, path);
    const match = /^(\d+)\s+(\d+)$/.exec(text);
    if (!match || Number(match[1]) <= 0 || Number(match[2]) <= 0)
      this.fail(`has an invalid ${path}: "${text}"`, { element: path, value: text });
    return { num: Number(match[1]), den: Number(match[2]) };
  }
}

export function child(node: unknown, name: string): unknown {
  return typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[name] : undefined;
}

/** A repeated element as an array whatever the parser made of it (absent, one, many). */
export function children(node: unknown, name: string): unknown[] {
  const value = child(node, name);
  if (value === undefined || value === null || value === '') return [];
  return Array.isArray(value) ? value : [value];
}

const urnUuid = /^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** "urn:uuid:ABC…" → "urn:uuid:abc…"; null when the text is not a urn:uuid. */
export function normalizeUrnUuid(text: string): string | null {
  const match = urnUuid.exec(text.trim());
  return match ? `urn:uuid:${match[1]!.toLowerCase()}` : null;
}
