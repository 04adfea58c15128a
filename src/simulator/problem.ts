/** Standard reason phrases for the problem `title`. */
const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function titleFor(status: number): string {
  return TITLES[status] ?? 'Error';
}

/** Field name → messages, as ASP.NET's validation problem details carry them. */
export type FieldErrors = Record<string, string[]>;

export interface ProblemBody {
  status: number;
  title: string;
  detail: string;
  errors?: FieldErrors;
}

/**
 * Raised by any simulator operation that answers with an error; the HTTP layer turns it into a
 * problem-details body (`{ status, title, detail, errors? }`).
 */
export class SimProblem extends Error {
  readonly status: number;
  readonly errors: FieldErrors | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, detail: string, errors?: FieldErrors, headers: Record<string, string> = {}) {
    super(detail);
    this.name = 'SimProblem';
    this.status = status;
    this.errors = errors;
    this.headers = headers;
  }

  toBody(): ProblemBody {
    const body: ProblemBody = { status: this.status, title: titleFor(this.status), detail: this.message };
    if (this.errors) body.errors = this.errors;
    return body;
  }
}

/** 400 naming one field. */
export function fieldProblem(field: string, message: string): SimProblem {
  return new SimProblem(400, `${field}: ${message}`, { [field]: [message] });
}

export function notFound(detail: string): SimProblem {
  return new SimProblem(404, detail);
}

export function forbidden(detail: string): SimProblem {
  return new SimProblem(403, detail);
}

export function conflict(detail: string, field?: string): SimProblem {
  return new SimProblem(409, detail, field ? { [field]: [detail] } : undefined);
}
