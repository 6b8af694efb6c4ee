export { createClient, type ClientOptions, type MediavaultClient } from './client.ts';
export { MediavaultError, MediavaultApiError, MediavaultNetworkError } from './errors.ts';
export { operations, type OperationId, type OperationMethods } from './generated/operations.ts';
export type { OperationInput, OperationOutput, RequestOptions } from './operation-types.ts';
export type { components, operations as OperationSchemas, paths } from './generated/schema.ts';
