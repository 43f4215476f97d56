import { describe, expect, it } from 'vitest';
import { MemoryTransport } from '../transport/memory/memory-broker.js';
import type { TransportHealth } from '../transport/broker.js';
import { createApp } from './app.js';
import { silentLogger } from '../log/logger.js';

class TalkativeTransport extends MemoryTransport {
  health(): TransportHealth {
    return { ok: false, detail: 'reconnecting (amqp://shop:s3cr3t@rabbit:5672/): connect ECONNREFUSED' };
  }
}

describe('app health', () => {
  it('shows no URL user or password, whatever a transport or store puts in a detail', async () => {
    const app = createApp({
      broker: new TalkativeTransport(),
      store: {
        name: 'talkative',
        transaction: (fn) => fn(undefined),
        health: () => Promise.reject(new Error('connect to postgres://shop:s3cr3t@db/shop failed')),
      },
      logger: silentLogger,
    });
    const report = await app.health();
    expect(report.checks.broker!.detail).toBe('reconnecting (amqp://***@rabbit:5672/): connect ECONNREFUSED');
    expect(JSON.stringify(report)).not.toMatch(/s3cr3t|shop:/);
  });
});
