import { queryObjects } from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Message } from 'amqplib';
import { ACK_DELAY_MS, AckBatcher, type AckChannel } from './ack-batcher.js';

/** With a prefetch of 2 every settle is acked in its own tick, which the first tests rely on. */
function setup(prefetch = 2, count = 5) {
  const frames: string[] = [];
  const channel: AckChannel = {
    ack: (m, allUpTo) => void frames.push(`ack ${m.fields.deliveryTag}${allUpTo ? ' multiple' : ''}`),
    nack: (m, allUpTo, requeue) =>
      void frames.push(`nack ${m.fields.deliveryTag}${allUpTo ? ' multiple' : ''}${requeue ? ' requeue' : ''}`),
  };
  const batcher = new AckBatcher(channel, prefetch);
  const messages = Array.from({ length: count }, (_, i) => i + 1).map(
    (tag) => ({ fields: { deliveryTag: tag } }) as Message,
  );
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
    const batcher = new AckBatcher({ ack: () => undefined, nack: () => undefined }, 100);
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
    const batcher = new AckBatcher(channel, 2);
    const messages = [1, 2, 3].map((tag) => batcher.received({ fields: { deliveryTag: tag } } as Message));
    batcher.ack(messages[0]!);
    batcher.ack(messages[2]!);
    await tick();
    expect(calls).toBe(1);
    expect(() => batcher.requeue(messages[1]!)).not.toThrow();
    expect(calls).toBe(1);
  });
});

describe('AckBatcher at a prefetch of 100', () => {
  afterEach(() => vi.useRealTimers());

  it('sends one frame per half window while draining, not one per socket read', async () => {
    // A drain: the broker's deliveries arrive 18 to a socket read, each read handled in one
    // tick. Acking once per tick sent a frame per read: 6 frames for these 100 deliveries.
    vi.useFakeTimers();
    const { frames, batcher } = setup(100, 0);
    for (let read = 0; read < 100; read += 18) {
      const tags = Array.from({ length: Math.min(18, 100 - read) }, (_, i) => read + i + 1);
      const entries = tags.map((tag) => batcher.received({ fields: { deliveryTag: tag } } as Message));
      for (const entry of entries) batcher.ack(entry);
      await tick();
    }
    expect(frames).toEqual(['ack 54 multiple']);
    // The rest, below half the window, once the delay has passed.
    vi.advanceTimersByTime(ACK_DELAY_MS);
    expect(frames).toEqual(['ack 54 multiple', 'ack 100 multiple']);
  });

  it('acks what is settled below half the window after a short delay, in one frame', async () => {
    vi.useFakeTimers();
    const { frames, batcher, messages } = setup(100, 10);
    for (const entry of messages.slice(0, 4)) batcher.ack(entry);
    await tick();
    expect(frames).toEqual([]);
    vi.advanceTimersByTime(ACK_DELAY_MS);
    expect(frames).toEqual(['ack 4 multiple']);
    batcher.ack(messages[4]!);
    vi.advanceTimersByTime(ACK_DELAY_MS);
    expect(frames).toEqual(['ack 4 multiple', 'ack 5 multiple']);
  });

  it('keeps a prefetch of 1 moving: each ack goes out in its tick', async () => {
    vi.useFakeTimers();
    const frames: string[] = [];
    const batcher = new AckBatcher(
      { ack: (m) => void frames.push(`ack ${m.fields.deliveryTag}`), nack: () => undefined },
      1,
    );
    for (const tag of [1, 2, 3]) {
      // The broker sends the next delivery only once the last one is acked.
      batcher.ack(batcher.received({ fields: { deliveryTag: tag } } as Message));
      await tick();
      expect(frames.at(-1)).toBe(`ack ${tag}`);
    }
  });

  it('flushes waiting acks before a graceful close, and the timer sends nothing after', () => {
    vi.useFakeTimers();
    const { frames, batcher, messages } = setup(100, 3);
    batcher.ack(messages[0]!);
    batcher.ack(messages[1]!);
    batcher.flush();
    expect(frames).toEqual(['ack 2 multiple']);
    vi.advanceTimersByTime(ACK_DELAY_MS);
    expect(frames).toEqual(['ack 2 multiple']);
  });

  it('acks nothing that waited once its channel closed', async () => {
    vi.useFakeTimers();
    const { frames, batcher, messages } = setup(100, 3);
    batcher.ack(messages[0]!);
    batcher.discard();
    await tick();
    vi.advanceTimersByTime(ACK_DELAY_MS);
    expect(frames).toEqual([]);
  });

  it('requeues at once while acks wait, and counts the requeue out of the window', async () => {
    vi.useFakeTimers();
    const { frames, batcher, messages } = setup(4, 4);
    batcher.ack(messages[0]!);
    batcher.requeue(messages[1]!);
    batcher.requeue(messages[2]!);
    expect(frames).toEqual(['nack 2 requeue', 'nack 3 requeue']);
    await tick();
    // Two of the four are unacked on the wire, the share that sends at once.
    expect(frames).toEqual(['nack 2 requeue', 'nack 3 requeue', 'ack 1 multiple']);
    batcher.ack(messages[3]!);
    await tick();
    expect(frames).toHaveLength(3);
    vi.advanceTimersByTime(ACK_DELAY_MS);
    expect(frames.at(-1)).toBe('ack 4 multiple');
  });
});
