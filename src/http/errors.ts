import { STATUS_CODES } from 'node:http';

/** Stable machine-readable codes of error answers (documented in docs/http-api.md). */
export type HttpErrorCode =
  | 'bad_request'
  | 'malformed_json'
  | 'empty_body'
  | 'invalid_events'
  | 'unauthorized'
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'too_many_events'
  | 'unsupported_media_type'
  | 'intake_disabled'
  | 'unavailable'
  | 'internal';

/** The body of every error answer: `{ statusCode, error, code, message, …extra }`. */
export interface HttpErrorBody {
  statusCode: number;
  /** The status text (`Bad Request`). */
  error: string;
  code: HttpErrorCode;
  message: string;
  [extra: string]: unknown;
}

/** Raised by a route to answer with an error status, a stable `code` and a message for people. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly statusCode: number,
    readonly code: HttpErrorCode,
    message: string,
    /** Extra members of the body (`rejected`, `accepted`). */
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody(): HttpErrorBody {
    return {
      statusCode: this.statusCode,
      error: STATUS_CODES[this.statusCode] ?? 'Error',
      code: this.code,
      message: this.message,
      ...this.extra,
    };
  }
}
