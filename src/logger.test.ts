import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions, safeUrl } from './logger.js';

describe('request logging', () => {
  it('drops query strings and masks the webhook secret in paths', () => {
    expect(safeUrl('/api/auth/amo/callback?code=def502&state=abc')).toBe('/api/auth/amo/callback');
    expect(safeUrl('/api/webhooks/amo/s3cr3t-value-123456')).toBe('/api/webhooks/amo/[redacted]');
    expect(safeUrl('/api/webhooks/amo?secret=s3cr3t')).toBe('/api/webhooks/amo');
    expect(safeUrl('/api/leads')).toBe('/api/leads');
  });

  it('redacts tokens, phones and emails from log lines', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
    const log = pino(loggerOptions('info'), sink);
    log.info(
      {
        req: { method: 'POST', url: '/api/webhooks/amo/topsecretvalue1234', id: 'r1' },
        tokens: { accessToken: 'eyJ.secret' },
        lead: { phone: '+79123456789', email: 'a@b.ru', name: 'Иван' },
      },
      'request',
    );
    const out = lines.join('');
    expect(out).toContain('/api/webhooks/amo/[redacted]');
    for (const leaked of ['topsecretvalue1234', 'eyJ.secret', '+79123456789', 'a@b.ru', 'Иван']) {
      expect(out).not.toContain(leaked);
    }
  });
});

describe('error logging', () => {
  it('keeps query parameters and database value details out of logged errors, causes included', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) });
    const log = pino(loggerOptions('info'), sink);
    const pgError = Object.assign(new Error('duplicate key value violates unique constraint'), {
      code: '23505',
      detail: 'Key (phone)=(+79123456789) already exists.',
    });
    const err = Object.assign(new Error('Failed query: insert into "leads" ("phone", "name") values ($1, $2)\nparams: +79123456789,Иван'), {
      query: 'insert into "leads" ("phone", "name") values ($1, $2)',
      params: ['+79123456789', 'Иван'],
      cause: pgError,
    });
    log.error({ err }, 'insert failed');
    const out = lines.join('');
    expect(out).toContain('Failed query: insert into');
    expect(out).toContain('23505');
    expect(out).not.toContain('+79123456789');
    expect(out).not.toContain('Иван');
  });
});
