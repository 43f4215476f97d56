import { ConfigError } from '@tandem/core';
import { describe, expect, it } from 'vitest';
import { parseLoadOptions } from './options.js';

describe('the load options', () => {
  it('take the broker by either name the shop scripts use (rabbitmq here, amqp for chaos)', () => {
    expect(parseLoadOptions(['--broker', 'rabbitmq']).broker).toBe('rabbitmq');
    expect(parseLoadOptions(['--broker', 'amqp']).broker).toBe('rabbitmq');
    expect(parseLoadOptions(['--broker', 'kafka']).broker).toBe('kafka');
    expect(parseLoadOptions([]).broker).toBe('memory');
  });

  it('refuse an unknown broker, naming the ones it takes', () => {
    expect(() => parseLoadOptions(['--broker', 'kafak'])).toThrow(ConfigError);
    expect(() => parseLoadOptions(['--broker', 'kafak'])).toThrow(
      /expected memory, rabbitmq \(or amqp\) or kafka, got 'kafak'/,
    );
  });
});
