/**
 * Rows as typed records straight from SQL: a record type's fields mapped to their columns
 * once, selected with aliases (`organization_id AS "organizationId"`), so a store has one
 * type per record and no hand-written row-to-record copy.
 */
export function selectColumns<T>(columns: { [K in keyof T]: string }, table?: string): string {
  const prefix = table ? `${table}.` : '';
  return Object.entries(columns as Record<string, string>)
    .map(([field, column]) => (field === column ? `${prefix}${column}` : `${prefix}${column} AS "${field}"`))
    .join(', ');
}

/**
 * Where a keyset-paged list goes on: after this item in newest-first order. The time is the
 * database's own, to the microsecond: a JavaScript Date keeps milliseconds, and rows written
 * in one transaction share one now(), so a rounded position would skip or repeat them.
 */
export interface KeysetPosition {
  createdAt: string;
  id: string;
}

/** A timestamptz as ISO 8601 text with all six fractional digits (what a position carries). */
export const microsecondsIso = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
