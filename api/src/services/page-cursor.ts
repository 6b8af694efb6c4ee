/**
 * Opaque cursors of keyset-paged lists: the sort key of the last item of a page (a time
 * to the microsecond, as the database gives it, and an id that breaks ties).
 */
import { errors } from '@mediavault/core/errors';
import type { KeysetPosition } from '@mediavault/core/catalogue/columns';

const ISO_MICROSECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): KeysetPosition {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof createdAt !== 'string' || typeof id !== 'string' || !ISO_MICROSECONDS.test(createdAt) || !UUID.test(id))
      throw new Error('shape');
    return { createdAt, id };
  } catch {
    throw errors.badRequest('cursor is not valid: pass the nextCursor of a previous page', {
      field: 'querystring.cursor',
    });
  }
}
