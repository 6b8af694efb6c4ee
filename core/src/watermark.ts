/**
 * Visible watermarks of shares, as pure rules: the spec a share carries (a template and where
 * and how strongly to burn it in), its normalisation, the text a viewer's copy gets, and the
 * key that names the watermarked rendition set. Equal watermarks of the same content have the
 * same key, so the worker builds each of them once (core/src/keys.ts lays out its files).
 */
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { errors } from './errors.ts';
import { isSha256Hex } from './keys.ts';

export const watermarkPositions = [
  'top-left',
  'top-right',
  'bottom-left',
  'bottom-right',
  'center',
  'diagonal-tiled',
] as const;
export type WatermarkPosition = (typeof watermarkPositions)[number];

export const watermarkSizes = ['small', 'medium', 'large'] as const;
export type WatermarkSize = (typeof watermarkSizes)[number];

export const watermarkPlaceholders = ['share', 'viewer', 'date'] as const;
export type WatermarkPlaceholder = (typeof watermarkPlaceholders)[number];

export const watermarkTemplateMaxLength = 200;
export const watermarkOpacityRange = { minimum: 0.1, maximum: 1 } as const;

/** A share's watermark as its policy stores it (the api's schemas can reuse this one). */
export const WatermarkSpecSchema = Type.Object(
  {
    /** Text with {share}, {viewer} and {date} placeholders. */
    template: Type.String({ minLength: 1, maxLength: watermarkTemplateMaxLength }),
    position: Type.Union(watermarkPositions.map((p) => Type.Literal(p))),
    opacity: Type.Number(watermarkOpacityRange),
    size: Type.Union(watermarkSizes.map((s) => Type.Literal(s))),
  },
  { additionalProperties: false },
);
export type WatermarkSpec = Static<typeof WatermarkSpecSchema>;

/** What fills the placeholders for one viewer. */
export interface WatermarkValues {
  /** The share's name. */
  share: string;
  /** The viewer's name or email when the share asks for it; without one {viewer} renders as nothing. */
  viewer?: string | null;
  /** Rendered as YYYY-MM-DD in UTC. */
  date: Date;
}

/** The watermark as burnt in: the text a viewer sees and how it is placed. Its key names the set. */
export interface RenderedWatermark {
  text: string;
  position: WatermarkPosition;
  opacity: number;
  size: WatermarkSize;
}

/** A value put into a template is cut to this many characters (names and emails fit). */
const valueMaxLength = 100;
/** However many placeholders a template repeats, the burnt-in line stays readable. */
const renderedMaxLength = 300;

const placeholder = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * One line of printable text: NFC; control characters and line or paragraph separators become
 * spaces; invisible format characters (bidi overrides that would reorder what a viewer reads,
 * zero-width joiners) go; runs of white space become one space.
 */
export function watermarkLine(value: string): string {
  return value
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\p{Cf}/gu, '')
    .replace(/\s+/gu, ' ')
    .trim();
}

function cut(value: string, maxLength: number): string {
  const chars = [...value];
  return chars.length <= maxLength ? value : `${chars.slice(0, maxLength - 1).join('')}…`;
}

/**
 * Checks a spec and gives its canonical form, so specs that burn in the same pixels are equal:
 * the template as one clean line, the opacity to two decimals. Refuses (bad_request, with
 * `details.field`) what the schema refuses and placeholders other than {share}, {viewer}, {date}.
 */
export function normaliseWatermarkSpec(input: WatermarkSpec): WatermarkSpec {
  if (!Value.Check(WatermarkSpecSchema, input)) {
    const first = Value.Errors(WatermarkSpecSchema, input).First();
    const field = first?.path.replace(/^\//, '') || 'watermark';
    throw errors.badRequest(`invalid watermark ${field}: ${first?.message ?? 'does not match'}`, { field });
  }
  const template = watermarkLine(input.template);
  if (template === '') throw errors.badRequest('the watermark template is empty', { field: 'template' });
  for (const [, name] of template.matchAll(placeholder)) {
    if (!(watermarkPlaceholders as readonly string[]).includes(name!)) {
      throw errors.badRequest(
        `unknown placeholder {${name}} in the watermark template; use ${watermarkPlaceholders.map((p) => `{${p}}`).join(', ')}`,
        { field: 'template' },
      );
    }
  }
  return {
    template,
    position: input.position,
    opacity: Math.round(input.opacity * 100) / 100,
    size: input.size,
  };
}

/** The date a watermark shows: YYYY-MM-DD in UTC. */
export function watermarkDate(date: Date): string {
  if (Number.isNaN(date.getTime()))
    throw errors.badRequest('the watermark date is not a valid date', { field: 'date' });
  return date.toISOString().slice(0, 10);
}

/**
 * The text burnt in for one viewer. Placeholders are filled in one pass, so a share or viewer
 * named "{date}" shows as such; each value is one clean line of at most 100 characters.
 */
export function renderWatermarkText(template: string, values: WatermarkValues): string {
  const filled: Record<WatermarkPlaceholder, string> = {
    share: cut(watermarkLine(values.share), valueMaxLength),
    viewer: cut(watermarkLine(values.viewer ?? ''), valueMaxLength),
    date: watermarkDate(values.date),
  };
  const text = cut(
    watermarkLine(
      template.replace(placeholder, (whole, name: string) =>
        name in filled ? filled[name as WatermarkPlaceholder] : whole,
      ),
    ),
    renderedMaxLength,
  );
  if (text === '') throw errors.badRequest('the watermark renders as no text at all', { field: 'template' });
  return text;
}

/** The spec (checked and normalised) rendered for one viewer. */
export function renderWatermark(spec: WatermarkSpec, values: WatermarkValues): RenderedWatermark {
  const normal = normaliseWatermarkSpec(spec);
  return {
    text: renderWatermarkText(normal.template, values),
    position: normal.position,
    opacity: normal.opacity,
    size: normal.size,
  };
}

/**
 * Bumped when the worker draws watermarks differently (font sizes, margins, the tiling), so
 * sets drawn the old way are not taken for the new look.
 */
export const watermarkLookVersion = 1;

/**
 * The key of a watermarked set: 128 bits of the sha256 of the master's sha256, the rendered
 * text and its placement. Equal watermarks of the same content share it (one build); any
 * other content, text or placement gets another.
 */
export function watermarkKey(sha256: string, watermark: RenderedWatermark): string {
  if (!isSha256Hex(sha256)) throw new Error(`not a lowercase hex sha256: ${JSON.stringify(sha256)}`);
  const material = JSON.stringify([
    'mediavault-watermark',
    watermarkLookVersion,
    sha256,
    watermark.text,
    watermark.position,
    watermark.opacity,
    watermark.size,
  ]);
  return createHash('sha256').update(material).digest('hex').slice(0, 32);
}
