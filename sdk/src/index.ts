export { createClient, sdkUserAgent, type ClientOptions, type MediavaultClient } from './client.ts';
export {
  errorFields,
  MediavaultError,
  MediavaultApiError,
  MediavaultNetworkError,
  type ApiErrorCode,
  type ErrorFields,
} from './errors.ts';
export { formatBytes } from './format-bytes.ts';
export { hashFile, type ByteObserver } from './local-file.ts';
export { fingerprintEndBytes, fingerprintFile, fingerprintOf, fingerprintRanges } from './fingerprint.ts';
export {
  type ApprovalEvent,
  type CommentEvent,
  type EventFilter,
  type EventStream,
  type JobEvent,
  type MediavaultEvent,
  openEventStream,
  type PreviewEvent,
  type ResumedEvent,
  type ShareEvent,
  type UploadEvent,
  type WatermarkEvent,
} from './event-stream.ts';
export { putWithRetry, sendsChecksumHeader } from './presigned-put.ts';
export {
  defaultPartSize,
  uploadFile,
  type PartEvent,
  type UploadFileOptions,
  type UploadFileResult,
  type UploadProgress,
} from './upload.ts';
export { ByteBudget } from './byte-budget.ts';
export {
  maxBatchFileBytes,
  maxBatchFiles,
  uploadFileBatch,
  type BatchFile,
  type BatchFileResult,
  type UploadBatchOptions,
} from './upload-batch.ts';
export { UploadJournal, type JournalEntry, type JournalSubject } from './upload-journal.ts';
export { ingest, Ingest, type IngestOptions } from './ingest.ts';
export type {
  ActiveFile,
  DryRunAction,
  DryRunSummary,
  FileOutcome,
  FileStatus,
  IngestEvent,
  IngestEventSource,
  IngestProgress,
  IngestSummary,
} from './ingest-events.ts';
export {
  collectionPathFor,
  defaultExcludes,
  planUpload,
  safeName,
  UnsafeNameError,
  type MhlHistory,
  type PlannedFile,
  type PlanOptions,
  type PlanProblem,
  type PlanSkip,
  type UploadPlan,
} from './ingest-plan.ts';
export {
  createMhlCheck,
  mergeGenerations,
  MhlParseError,
  parseMhl,
  verifiableFormats,
  type MhlCheck,
  type MhlEntry,
  type MhlHashFormat,
  type MhlMismatch,
  type MhlOutcome,
} from './ascmhl.ts';
export { createPromotionWatcher, type PromotionWatcher, type PromotionWatcherOptions } from './promotion-watcher.ts';
export {
  promoteAndWait,
  waitForPreview,
  type PromoteAndWaitOptions,
  type PromoteMapping,
  type PromoteResult,
  type PreviewState,
  type WaitForPreviewOptions,
} from './promote.ts';
export { operations, type ErrorCode, type OperationId, type OperationMethods } from './generated/operations.ts';
export type { OperationInput, OperationOutput, RequestOptions } from './operation-types.ts';
export type { components, operations as OperationSchemas, paths } from './generated/schema.ts';
export {
  audioOnlyFrameRate,
  type ExportableComment,
  type ExportFormat,
  exportComments,
  exportFormats,
  type ExportSubject,
  type FrameRate,
  maxEdlEvents,
  parseFramePosition,
  timecodeOf,
  type VersionTimeline,
  versionTimeline,
} from './comment-export.ts';
