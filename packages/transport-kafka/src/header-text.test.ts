import { describe, expect, it } from 'vitest';
import { HeaderText } from './header-text.js';

describe('HeaderText', () => {
  it('answers each value as its text, repeated or changed, at any length', () => {
    const text = new HeaderText();
    const values = [
      'orders.placed',
      'orders.placed',
      'orders.shipped',
      'orders.placee',
      'prders.placee',
      'é✓',
      'x'.repeat(300),
      'x',
    ];
    for (const value of [...values, ...values]) expect(text.textOf(Buffer.from(value))).toBe(value);
  });

  it('keeps a copy of the last value, not a view of the fetch response it came in', () => {
    const text = new HeaderText();
    const response = Buffer.from('k1:abc');
    expect(text.textOf(response.subarray(3))).toBe('abc');
    response.write('xyz', 3);
    expect(text.textOf(response.subarray(3))).toBe('xyz');
  });

  it('still decodes every value of a header that changes with each record', () => {
    const text = new HeaderText();
    for (let i = 0; i < 200; i++) expect(text.textOf(Buffer.from(`id-${i}`))).toBe(`id-${i}`);
    expect(text.textOf(Buffer.from('id-7'))).toBe('id-7');
    expect(new HeaderText(false).textOf(Buffer.from('a'))).toBe('a');
  });
});
