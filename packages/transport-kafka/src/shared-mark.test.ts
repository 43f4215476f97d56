import { describe, expect, it } from 'vitest';
import { above, SharedMark } from './shared-mark.js';

describe('above', () => {
  it('orders Kafka offsets as numbers, not as text', () => {
    expect(above('10', '9')).toBe(true);
    expect(above('9', '10')).toBe(false);
    expect(above('100', '100')).toBe(false);
    expect(above('101', '100')).toBe(true);
    expect(above('0', '-1')).toBe(true);
    expect(above('0', '-51')).toBe(true);
    expect(above('9223372036854775806', '9223372036854775805')).toBe(true);
  });
});

describe('SharedMark', () => {
  it('covers handlers up to its mark and says when one gets within `ahead` of its end', () => {
    const mark = new SharedMark(-1n, 50n);
    expect(mark.covers('0')).toBe(false);
    expect(mark.near('0')).toBe(true);
    mark.raise(100n);
    expect(mark.covers('100')).toBe(true);
    expect(mark.covers('101')).toBe(false);
    expect(mark.near('50')).toBe(false);
    expect(mark.near('51')).toBe(true);
    mark.raise(90n);
    expect(mark.upto).toBe(100n);
  });

  it('keeps the furthest started offset, whatever order handlers start in', () => {
    const mark = new SharedMark(-1n, 50n);
    expect(mark.started).toBe(-1n);
    mark.start('12');
    mark.start('9');
    mark.start('100');
    mark.start('99');
    expect(mark.started).toBe(100n);
  });
});
