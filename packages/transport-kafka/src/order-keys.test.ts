import { describe, expect, it } from 'vitest';
import { OrderKeys } from './order-keys.js';

describe('OrderKeys', () => {
  it('gives one key per partition and message key, the same string each time', () => {
    const keys = new OrderKeys();
    const first = keys.of('t\u00000', 'k1');
    expect(first).toBe('t\u00000\u0000k1');
    expect(keys.of('t\u00000', 'k1')).toBe(first);
    expect(keys.of('t\u00001', 'k1')).toBe('t\u00001\u0000k1');
    expect(keys.of('t\u00000', undefined)).toBe('t\u00000\u0000');
  });

  it('still keys every record once it remembers no more', () => {
    const keys = new OrderKeys();
    for (let i = 0; i < 2000; i++) keys.of('p', `k${i}`);
    expect(keys.of('p', 'k1999')).toBe('p\u0000k1999');
    keys.clear();
    expect(keys.of('p', 'k1')).toBe('p\u0000k1');
  });
});
