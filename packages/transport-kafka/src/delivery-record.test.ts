import { describe, expect, it } from 'vitest';
import { decodeDeliveryRecord, deliveryCountAlone, encodeDeliveryRecord } from './delivery-record.js';

describe('delivery records in offset metadata', () => {
  it('round-trips both modes, offsets past 2^53 included', () => {
    for (const record of [
      { mode: 'shared' as const, starts: 0, upto: 2_500n, by: 'a1b2c3' },
      { mode: 'alone' as const, starts: 3, upto: 9_007_199_254_740_993n, by: 'a1b2c3' },
    ])
      expect(decodeDeliveryRecord(encodeDeliveryRecord(record))).toEqual(record);
    expect(encodeDeliveryRecord({ mode: 'alone', starts: 2, upto: 40n, by: 'x' })).toBe('tandem/1 alone 2 40 x');
  });

  it('reads nothing from empty or foreign metadata', () => {
    for (const metadata of [
      null,
      undefined,
      '',
      'shared 0 1 x',
      'tandem/1 shared 0 1',
      'tandem/1 other 0 1 x',
      'tandem/1 alone x 1 y',
      'tandem/2 shared 0 1 y',
      'tandem/1 shared 0 1 y z',
    ])
      expect(decodeDeliveryRecord(metadata)).toBeUndefined();
  });

  it('charges a record only once it failed alone', () => {
    expect([0, 1, 2, 3].map(deliveryCountAlone)).toEqual([1, 3, 4, 5]);
  });
});
