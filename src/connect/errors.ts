// Connect errors carry an HTTP-ish `statusCode` and a stable `code`; the app's error handler turns any error shaped
// like this into problem+json (domains never import http/).
import { AppError } from '../errors.js';

export type ConnectErrorCode =
  | 'SECRET_KEY_MISSING'
  | 'NOT_CONFIGURED'
  | 'STATE_INVALID'
  | 'STATE_USED'
  | 'STATE_EXPIRED'
  | 'REFERER_INVALID'
  | 'ACCOUNT_MISMATCH'
  | 'ACCESS_DENIED'
  | 'CODE_MISSING'
  | 'CODE_EXCHANGE_FAILED'
  | 'TOKEN_REJECTED'
  | 'HOST_UNKNOWN'
  | 'SIGNATURE_INVALID'
  | 'ADMIN_ONLY';

export class ConnectError extends AppError<ConnectErrorCode> {
  constructor(
    code: ConnectErrorCode,
    readonly statusCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
