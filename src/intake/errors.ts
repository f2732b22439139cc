// Intake errors carry an HTTP-ish `statusCode` and a stable `code`; the app's error handler turns any error
// shaped like this into problem+json (domains never import http/).
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export type IntakeErrorCode = 'VALIDATION_FAILED' | 'MALFORMED_BODY' | 'LEAD_NOT_FOUND' | 'API_KEY_INVALID';

export class IntakeError extends Error {
  constructor(
    readonly code: IntakeErrorCode,
    readonly statusCode: number,
    message: string,
    readonly errors?: FieldError[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'IntakeError';
  }
}
