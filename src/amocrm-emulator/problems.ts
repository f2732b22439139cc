// problem+json bodies exactly as amoCRM sends them (fact sheet §5.2) and the error class routes throw.
import type { AmoProblem, ValidationErrorEntry } from '../amocrm/types.js';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
};

export function problem(status: number, detail: string, extra: Partial<AmoProblem> = {}): AmoProblem {
  if (status >= 500) return { title: 'ErrInternalServer', status, detail, trace_id: '00000000-0000-4000-8000-000000000000', ...extra };
  return { title: TITLES[status] ?? 'Error', type: `https://httpstatus.es/${status}`, status, detail, ...extra };
}

export class EmuHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: AmoProblem | string,
    readonly contentType = 'application/problem+json',
  ) {
    super(typeof body === 'string' ? body : (body.detail ?? body.title ?? 'error'));
  }
}

export const fail = (status: number, detail: string, extra: Partial<AmoProblem> = {}): EmuHttpError =>
  new EmuHttpError(status, problem(status, detail, extra));

export function validationFailed(entries: ValidationErrorEntry[]): EmuHttpError {
  return new EmuHttpError(400, {
    'validation-errors': entries,
    title: 'Bad Request',
    type: 'https://httpstatus.es/400',
    status: 400,
    detail: 'Request validation failed',
  });
}

/** amoCRM's second 400 shape (php#88): messages keyed by entity id, no `validation-errors`. */
export function invalidRequestBody(errors: Record<string, string>): EmuHttpError {
  return new EmuHttpError(400, { errors, title: 'Bad Request', type: 'https://httpstatus.es/400', status: 400, detail: 'Invalid request body' });
}

export const emptyRequest = (): EmuHttpError => fail(400, 'Request data can not be empty');
export const tooMany = (limit = 250): EmuHttpError => fail(422, `Limit ${limit} per page`);

export function oauthProblem(status: number, hint: string): EmuHttpError {
  return new EmuHttpError(status, {
    hint,
    title: 'Некорректный запрос',
    type: 'https://developers.amocrm.ru/v3/errors/OAuthProblemJson',
    status,
    detail: 'В запросе отсутствует ряд параметров или параметры невалидны',
  });
}

export const NGINX_HTML = (status: number, text: string): string =>
  `<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
