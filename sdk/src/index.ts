export { createClient, sdkUserAgent, type ClientOptions, type MediavaultClient } from './client.ts';
export { MediavaultError, MediavaultApiError, MediavaultNetworkError } from './errors.ts';
export { hashFile, uploadFile, type UploadFileOptions, type UploadFileResult, type UploadProgress } from './upload.ts';
export { promoteAndWait, waitForPreview, type PromoteAndWaitOptions, type PromoteMapping, type PromoteResult, type PreviewState, type WaitForPreviewOptions } from './promote.ts';
export { operations, type OperationId, type OperationMethods } from './generated/operations.ts';
export type { OperationInput, OperationOutput, RequestOptions } from './operation-types.ts';
export type { components, operations as OperationSchemas, paths } from './generated/schema.ts';
