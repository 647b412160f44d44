// The one error type of tug. Every failure a client can cause is a TugError
// with a code; the API turns it into a Kubernetes metav1.Status in one place.

export const ERROR_CODES = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One bad field of an Invalid object, as Kubernetes reports it in `details.causes`. */
export interface FieldCause {
  /** Kubernetes cause type, e.g. FieldValueRequired, FieldValueInvalid. */
  reason: string;
  message: string;
  /** Dotted path with indexes, e.g. `spec.template.spec.containers[0].image`. */
  field: string;
}

export interface ErrorDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: FieldCause[];
}

export class TugError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, details?: ErrorDetails) {
    super(message);
    this.name = "TugError";
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}

export function isTugError(e: unknown): e is TugError {
  return e instanceof TugError;
}
