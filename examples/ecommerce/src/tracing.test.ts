import { ConfigError } from '@tandem/core';
import { describe, expect, it } from 'vitest';
import { shopProcessName, tracingWanted } from './tracing.js';

describe('the shop’s tracing settings', () => {
  it('traces unless SHOP_TRACING is off, and refuses anything else', () => {
    expect(tracingWanted({})).toBe(true);
    expect(tracingWanted({ SHOP_TRACING: '' })).toBe(true);
    expect(tracingWanted({ SHOP_TRACING: ' On ' })).toBe(true);
    expect(tracingWanted({ SHOP_TRACING: 'OFF' })).toBe(false);
    expect(() => tracingWanted({ SHOP_TRACING: 'no' })).toThrow(ConfigError);
    expect(() => tracingWanted({ SHOP_TRACING: 'no' })).toThrow("SHOP_TRACING: 'no' is neither on nor off");
  });

  it('names the process after the services it runs', () => {
    expect(shopProcessName({})).toBe('shop');
    expect(shopProcessName({ SHOP_SERVICES: 'shipping' })).toBe('shop-shipping');
    expect(shopProcessName({ SHOP_SERVICES: ' orders, analytics ' })).toBe('shop-orders+analytics');
  });
});
