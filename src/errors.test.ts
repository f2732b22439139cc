import { describe, expect, it } from 'vitest';
import { AppError, toError } from './errors.js';

class ThingError extends AppError<'THING_BROKEN'> {
  constructor(readonly statusCode: number, options?: ErrorOptions) {
    super('THING_BROKEN', 'the thing broke', options);
  }
}

describe('AppError', () => {
  it('carries its code, its class name and the cause it wraps', () => {
    const cause = new Error('socket hang up');
    const e = new ThingError(409, { cause });
    expect(e).toBeInstanceOf(AppError);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('THING_BROKEN');
    expect(e.statusCode).toBe(409);
    expect(e.name).toBe('ThingError');
    expect(e.message).toBe('the thing broke');
    expect(e.cause).toBe(cause);
    expect(String(e)).toBe('ThingError: the thing broke');
  });

  it('has no cause property when none was given', () => {
    expect('cause' in new ThingError(400)).toBe(false);
  });
});

describe('toError', () => {
  it('keeps an Error and wraps anything else', () => {
    const e = new Error('x');
    expect(toError(e)).toBe(e);
    expect(toError('boom')).toEqual(new Error('boom'));
    expect(toError(undefined).message).toBe('undefined');
  });
});
