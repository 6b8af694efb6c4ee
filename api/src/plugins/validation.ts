/**
 * How requests are validated. Bodies are JSON and must have the types their schema says:
 * no coercion (`"size": null` is not 0, `"partNumbers": true` is not [1]). Querystrings and
 * path parameters are text by nature and are coerced to the schema's types. Every string of a
 * request is also refused when it holds a NUL character or broken UTF-16 (a lone surrogate):
 * PostgreSQL cannot store either, and a refusal naming the field beats a 500.
 */
import AjvCompiler from '@fastify/ajv-compiler';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js';
import type { ValidatorFactory } from '@fastify/ajv-compiler';
import { errors } from '@mediavault/core/errors';

// With ajv's default strictNumbers, `?limit=1e400` coerces to Infinity and then passes its
// maximum (it reached PostgreSQL as a 500); without it the range check refuses it, and every
// integer of this api has a range.
const common = { removeAdditional: false, useDefaults: true, allErrors: false, strictNumbers: false } as const;

/** Fastify's schemaController option: one validator for bodies, one for the other parts. */
export function requestValidators(): NonNullable<FastifyServerOptions['schemaController']> {
  const strict = AjvCompiler();
  const coercing = AjvCompiler();
  return {
    compilersFactory: {
      buildValidator: ((externalSchemas: Parameters<ReturnType<typeof AjvCompiler>>[0]) => {
        const bodies = strict(externalSchemas, { customOptions: { ...common, coerceTypes: false } });
        const text = coercing(externalSchemas, { customOptions: { ...common, coerceTypes: 'array' } });
        return (route: FastifyRouteSchemaDef<unknown>) => (route.httpPart === 'body' ? bodies(route) : text(route));
      }) as unknown as ValidatorFactory,
    },
  };
}

/** The path (`body.files[2].name`) of the first string in value that PostgreSQL cannot take, or null. */
export function findUnstorableText(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') || !value.isWellFormed() ? path : null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findUnstorableText(item, `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  // Parsed JSON, query and params only: a streamed body (presigned storage PUTs) is bytes, not text.
  if (value && typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    for (const [key, item] of Object.entries(value)) {
      const found = findUnstorableText(key, `${path}.<key>`) ?? findUnstorableText(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

export function refuseUnstorableText(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const field =
      findUnstorableText(request.params, 'params') ??
      findUnstorableText(request.query, 'querystring') ??
      findUnstorableText(request.body, 'body');
    if (field) {
      throw errors.badRequest(`${field} contains a NUL character or broken UTF-16 (a lone surrogate)`, { field });
    }
  });
}
