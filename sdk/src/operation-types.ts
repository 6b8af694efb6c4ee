/**
 * Request and response types of each operation, derived from the generated
 * openapi-typescript `operations` interface so they can never drift from the spec.
 */
import type { operations as OperationSchemas } from './generated/schema.ts';

type Operation<K extends keyof OperationSchemas> = OperationSchemas[K];

type PathOf<O> = O extends { parameters: { path: infer P extends object } } ? P : never;
type QueryOf<O> = O extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
type BodyOf<O> = O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

type PathInput<O> = [PathOf<O>] extends [never] ? { params?: never } : { params: PathOf<O> };
type QueryInput<O> = [QueryOf<O>] extends [never]
  ? { query?: never }
  : object extends QueryOf<O>
    ? { query?: QueryOf<O> }
    : { query: QueryOf<O> };
type BodyInput<O> = [BodyOf<O>] extends [never]
  ? { body?: never }
  : O extends { requestBody: object }
    ? { body: BodyOf<O> }
    : { body?: BodyOf<O> };

/** `{ params?, query?, body? }` as the operation declares them; required parts are required. */
export type OperationInput<K extends keyof OperationSchemas> = PathInput<Operation<K>> &
  QueryInput<Operation<K>> &
  BodyInput<Operation<K>>;

type SuccessStatus = 200 | 201 | 202 | 204;
type Responses<K extends keyof OperationSchemas> = Operation<K>['responses'];

/** A success response's body: its JSON, or the text of a text/* answer (a CSV export). */
type SuccessBody<R> = R extends { content: { 'application/json': infer J } }
  ? J
  : R extends { content: Record<`text/${string}`, infer T> }
    ? T
    : undefined;

/** The body of any success response of the operation (a union when several statuses succeed). */
export type OperationOutput<K extends keyof OperationSchemas> = {
  [S in keyof Responses<K>]: S extends SuccessStatus ? SuccessBody<Responses<K>[S]> : never;
}[keyof Responses<K>];

export interface RequestOptions {
  signal?: AbortSignal;
  /** Sent as x-request-id, so a failure can be found in the api's logs. */
  requestId?: string;
}
