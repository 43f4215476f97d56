import { queryObjects } from 'node:v8';
import { describe, expect, it } from 'vitest';
import type { Message } from 'amqplib';
import { AckBatcher, type AckChannel } from './ack-batcher.js';

function setup() {
  const frames: string[] = [];
  const channel: AckChannel = {
    ack: (m, allUpTo) => void frames.push(`ack ${m.fields.deliveryTag}${allUpTo ? ' multiple' : ''}`),
    nack: (m, allUpTo, requeue) =>
      void frames.push(`nack ${m.fields.deliveryTag}${allUpTo ? ' multiple' : ''}${requeue ? ' requeue' : ''}`),
  };
  const batcher = new AckBatcher(channel);
  const messages = [1, 2, 3, 4, 5].map((tag) => ({ fields: { deliveryTag: tag } }) as Message);
  return { frames, batcher, messages: messages.map((m) => batcher.received(m)) };
}

const tick = () => new Promise((resolve) => process.nextTick(resolve));

describe('AckBatcher', () => {
  it('lets go of settled deliveries at once, not at its next compaction', async () => {
    // Settled messages it kept (up to a thousand) survived every scavenge and were promoted,
    // which cost the consumer more instructions in the garbage collector than anything else.
    class Held {
      readonly fields = { deliveryTag: 1 };
    }
    const batcher = new AckBatcher({ ack: () => undefined, nack: () => undefined });
    let entries = Array.from({ length: 100 }, () => batcher.received(new Held() as unknown as Message));
    for (const entry of entries) batcher.ack(entry);
    entries = [];
    await tick();
    // One may stay reachable from V8's own bookkeeping of the last call; never the hundred.
    expect(queryObjects(Held)).toBeLessThanOrEqual(1);
  });

  it('acks the settled prefix with one multiple ack per tick', async () => {
    const { frames, batcher, messages } = setup();
    batcher.ack(messages[1]!);
    batcher.ack(messages[0]!);
    batcher.ack(messages[2]!);
    await tick();
    expect(frames).toEqual(['ack 3 multiple']);
  });

  it('never spans a delivery still being handled; acks the ones behind it singly', async () => {
    const { frames, batcher, messages } = setup();
    batcher.ack(messages[0]!);
    batcher.ack(messages[2]!);
    batcher.ack(messages[3]!);
    await tick();
    expect(frames).toEqual(['ack 1 multiple', 'ack 3', 'ack 4']);
    batcher.ack(messages[1]!);
    await tick();
    expect(frames).toEqual(['ack 1 multiple', 'ack 3', 'ack 4', 'ack 2 multiple']);
  });

  it('requeues at once and never names a requeued delivery in a multiple ack', async () => {
    const { frames, batcher, messages } = setup();
    batcher.ack(messages[0]!);
    batcher.requeue(messages[1]!);
    await tick();
    expect(frames).toEqual(['nack 2 requeue', 'ack 1 multiple']);
    batcher.requeue(messages[2]!);
    batcher.ack(messages[3]!);
    await tick();
    expect(frames).toEqual(['nack 2 requeue', 'ack 1 multiple', 'nack 3 requeue', 'ack 4 multiple']);
    batcher.requeue(messages[4]!);
    await tick();
    expect(frames.at(-1)).toBe('nack 5 requeue');
  });

  it('sends nothing after the channel is gone', async () => {
    const { frames, batcher, messages } = setup();
    batcher.ack(messages[0]!);
    batcher.discard();
    batcher.ack(messages[1]!);
    batcher.requeue(messages[2]!);
    await tick();
    expect(frames).toEqual([]);
  });

  it('settles a delivery once: a second ack or a requeue after its ack sends nothing more', async () => {
    const { frames, batcher, messages } = setup();
    batcher.ack(messages[0]!);
    batcher.ack(messages[0]!);
    batcher.requeue(messages[0]!);
    await tick();
    batcher.ack(messages[0]!);
    await tick();
    expect(frames).toEqual(['ack 1 multiple']);
  });

  it('flushes on demand before a graceful close', () => {
    const { frames, batcher, messages } = setup();
    batcher.ack(messages[0]!);
    batcher.flush();
    expect(frames).toEqual(['ack 1 multiple']);
  });
});

describe('AckBatcher on a channel that is closing', () => {
  it('stops sending instead of throwing', async () => {
    let calls = 0;
    const channel: AckChannel = {
      ack: () => {
        calls++;
        throw new Error('Channel closing');
      },
      nack: () => {
        calls++;
        throw new Error('Channel closing');
      },
    };
    const batcher = new AckBatcher(channel);
    const messages = [1, 2, 3].map((tag) => batcher.received({ fields: { deliveryTag: tag } } as Message));
    batcher.ack(messages[0]!);
    batcher.ack(messages[2]!);
    await tick();
    expect(calls).toBe(1);
    expect(() => batcher.requeue(messages[1]!)).not.toThrow();
    expect(calls).toBe(1);
  });
});
