// Intake errors carry an HTTP-ish `statusCode` and a stable `code`; the app's error handler turns any error
// shaped like this into problem+json (domains never import http/).
import { AppError, type FieldError } from '../errors.js';

export type { FieldError };

export type IntakeErrorCode = 'VALIDATION_FAILED' | 'MALFORMED_BODY' | 'LEAD_NOT_FOUND' | 'API_KEY_INVALID';

export class IntakeError extends AppError<IntakeErrorCode> {
  constructor(
    code: IntakeErrorCode,
    readonly statusCode: number,
    message: string,
    readonly errors?: FieldError[],
    options?: ErrorOptions,
  ) {
    super(code, message, options);
  }
}
