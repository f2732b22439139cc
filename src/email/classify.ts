// nodemailer errors → the follow-up engine's answer (email fact sheet §3): 5xx refusals of the recipient are
// permanent (the address bounced), 4xx and connection errors before DATA are retried, a connection lost during
// DATA has an unknown outcome (the server may have queued the message, so it is not resent).
import type { SendResult } from '../followups/index.js';

interface SmtpError {
  code?: string;
  responseCode?: number;
  command?: string;
  permanent?: boolean;
  message?: string;
}

const CONFIG = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2', 'ETLS', 'EREQUIRETLS']);
const CONNECTION = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'EMAXLIMIT']);

export function classifySmtpError(err: unknown): Exclude<SendResult, { ok: true }> {
  const e = (err ?? {}) as SmtpError;
  const message = `${e.code ?? 'ERROR'}${e.command ? ` at ${e.command}` : ''}${e.responseCode ? `: ${e.responseCode}` : ''}`;
  const rc = e.responseCode;
  if (rc !== undefined) {
    if (rc >= 500 && rc !== 503) {
      // A refusal of the message at DATA is not a bad address: the step fails, the address stays usable.
      if (e.command === 'DATA' || e.code === 'EMESSAGE') return { ok: false, kind: 'permanent', code: `smtp_data_${rc}`, message };
      if (e.code === 'EAUTH') return { ok: false, kind: 'transient', code: 'smtp_auth', message, retryAfterMs: 300_000 };
      return { ok: false, kind: 'permanent', code: `smtp_${rc}`, message };
    }
    return { ok: false, kind: 'transient', code: `smtp_${rc}`, message };
  }
  if (e.code && CONFIG.has(e.code)) return { ok: false, kind: 'transient', code: `smtp_${e.code.toLowerCase()}`, message, retryAfterMs: 300_000 };
  if (e.code === 'EABORT' || ((e.command === 'DATA' || e.command === 'message') && e.code && CONNECTION.has(e.code))) {
    return { ok: false, kind: 'unknown', code: `smtp_${(e.code ?? 'lost').toLowerCase()}_during_data`, message };
  }
  if (e.code && CONNECTION.has(e.code)) return { ok: false, kind: 'transient', code: `smtp_${e.code.toLowerCase()}`, message };
  return { ok: false, kind: e.command === 'DATA' ? 'unknown' : 'transient', code: 'smtp_error', message };
}
