// Capture errors: a 4xx `statusCode` and a stable `code` (the app's error handler answers them as problem+json).
export interface CaptureFieldError {
  field: string;
  code: string;
  message: string;
}

export type CaptureErrorCode =
  | 'FORM_NOT_FOUND'
  | 'MALFORMED_BODY'
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'WIDGET_NOT_BUILT'
  | 'UPSTREAM_FAILED'
  | 'TOO_DEEP';

export class CaptureError extends Error {
  constructor(
    readonly code: CaptureErrorCode,
    readonly statusCode: number,
    message: string,
    readonly errors?: CaptureFieldError[],
  ) {
    super(message);
    this.name = 'CaptureError';
  }
}
