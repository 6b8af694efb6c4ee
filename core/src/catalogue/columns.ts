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
