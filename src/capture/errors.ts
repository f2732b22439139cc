// Capture errors: a 4xx `statusCode` and a stable `code` (the app's error handler answers them as problem+json).
import { AppError } from '../errors.js';

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

export class CaptureError extends AppError<CaptureErrorCode> {
  constructor(
    code: CaptureErrorCode,
    readonly statusCode: number,
    message: string,
    readonly errors?: CaptureFieldError[],
  ) {
    super(code, message);
  }
}
