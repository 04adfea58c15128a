export { createFlexyKeyClient, FlexyKeyClient } from './client';
export {
  type ErrorContext,
  errorFromConnectionFailure,
  errorFromResponse,
  FlexyKeyAuthError,
  FlexyKeyConflictError,
  FlexyKeyConnectionError,
  FlexyKeyError,
  type FlexyKeyErrorCode,
  FlexyKeyForbiddenError,
  FlexyKeyInvalidResponseError,
  FlexyKeyNotFoundError,
  FlexyKeyRateLimitError,
  FlexyKeyRequestValidationError,
  FlexyKeyServerError,
  FlexyKeyTimeoutError,
  FlexyKeyUnexpectedStatusError,
  FlexyKeyValidationError,
  type RequestIssue,
  type ResponseFailure,
} from './errors';
export { DEFAULT_BASE_URL, DEFAULT_USER_AGENT, type FlexyKeyClientOptions } from './options';
export type { BookingsResource } from './resources/bookings';
export type { ControlResource } from './resources/control';
export type { LogsResource } from './resources/logs';
export type { ToolsResource } from './resources/tools';
export { DEFAULT_ENTRY_PAGE_SIZE, type UnitIdEntriesResource } from './resources/unit-id-entries';
export type { UnitInfoResource } from './resources/unit-info';
export type { UnitSettingsResource } from './resources/unit-settings';
export type { UnitSyncResource } from './resources/unit-sync';
export type { UnitsResource } from './resources/units';
export type { PutWebhookResult, WebhooksResource } from './resources/webhooks';
export {
  backoffDelayMs,
  DEFAULT_RETRY,
  decideRetry,
  parseRetryAfter,
  type RetryContext,
  type RetryDecision,
  type RetryFailure,
  type RetryOptions,
  type RetryPolicy,
} from './retry';
export * from './schemas';
export {
  type AfterResponseInfo,
  type BeforeRequestInfo,
  DEFAULT_TIMEOUTS,
  type Dispatcher,
  type FlexyKeyHooks,
  type HttpMethod,
  type TimeoutOptions,
} from './transport';
