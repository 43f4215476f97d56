import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  errorClassesByCode,
  isRetriable,
  NotFoundError,
  TandemError,
  TimeoutError,
  ValidationError,
} from './errors.js';

describe('errors', () => {
  it('carry a stable code, a retriable flag, details and cause', () => {
    const cause = new Error('root');
    const e = new ValidationError('bad input', { details: { issues: [] }, cause });
    expect(e).toMatchObject({
      code: 'TANDEM_VALIDATION',
      retriable: false,
      name: 'ValidationError',
      details: { issues: [] },
    });
    expect(e.cause).toBe(cause);
    expect(new TimeoutError('slow').retriable).toBe(true);
  });

  it('answer instanceof by brand and code, so two installed copies agree', () => {
    const foreign = Object.assign(Object.create(Error.prototype) as object, {
      code: 'TANDEM_NOT_FOUND',
      [Symbol.for('tandem.error')]: true,
    });
    expect(foreign).toBeInstanceOf(TandemError);
    expect(foreign).toBeInstanceOf(NotFoundError);
    expect(foreign).not.toBeInstanceOf(ConflictError);
    expect(new Error('plain')).not.toBeInstanceOf(TandemError);
  });

  it('keep prototype instanceof for a user subclass', () => {
    class OutOfStock extends ConflictError {}
    expect(new OutOfStock('none left')).toBeInstanceOf(OutOfStock);
    expect(new OutOfStock('none left')).toBeInstanceOf(ConflictError);
    expect(new ConflictError('other')).not.toBeInstanceOf(OutOfStock);
  });

  it('can be rebuilt from a code, and unknown errors count as retriable', () => {
    expect(new (errorClassesByCode.get('TANDEM_CONFLICT')!)('x')).toBeInstanceOf(ConflictError);
    expect(isRetriable(new Error('?'))).toBe(true);
    expect(isRetriable(new NotFoundError('gone'))).toBe(false);
  });
});
