import { createApp, defineCommand, defineEvent, MemoryTransport, silentLogger, type DeadLetter } from '@tandem/core';
import { eventually } from '@tandem/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { httpClient } from '../src/index.js';

const Reserve = defineCommand('inventory.reserve', {
  input: z.object({ orderId: z.string() }),
  output: z.object({ ok: z.boolean() }),
});
const OrderPlaced = defineEvent('orders.placed', { data: z.object({ orderId: z.string() }) });

describe('an event handler calling a service with no URL', () => {
  it('dead-letters the event at once, saying which variable to set and how to replay it after the fix', async () => {
    const app = createApp({
      broker: new MemoryTransport(),
      clients: httpClient({ services: {} }),
      logger: silentLogger,
    });
    app.onEvent(OrderPlaced, async (event, ctx) => {
      await ctx.call(Reserve, { orderId: event.orderId });
    });
    await app.start();
    try {
      await app.publish(OrderPlaced, { orderId: 'o-1' }, { key: 'o-1' });
      let letters: DeadLetter[] = [];
      await eventually('the dead letter', async () => {
        letters = await app.broker.deadLetters!.list('app');
        return letters.length === 1;
      });
      const [letter] = letters;
      expect(letter!.attempts).toBe(1);
      expect(letter!.reason).toBe('non-retryable: TANDEM_CONFIG');
      expect(letter!.error).toContain(
        "no URL for service 'inventory' (needed by 'inventory.reserve'): set TANDEM_SERVICE_INVENTORY_URL",
      );
      expect(letter!.error).toContain(
        `after the fix, replay it with tandem dead-letters replay --group app --id ${letter!.id} --broker "$TANDEM_BROKER_URL"`,
      );
    } finally {
      await app.stop();
    }
  });
});
