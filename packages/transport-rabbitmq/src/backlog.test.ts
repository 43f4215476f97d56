import { silentLogger } from '@tandem/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { groupBacklog, MISSING_RECHECK_MS } from './backlog.js';
import type { AmqpConnection } from './connection.js';
import { resolveOptions } from './options.js';
import type { Topology } from './topology.js';

/**
 * A broker that knows queues by name and answers passive declares like RabbitMQ does: a
 * missing queue is a 404 that closes the channel it was asked on.
 */
function fakeBroker(queues: Map<string, number>) {
  const asked: string[] = [];
  let channels = 0;
  const model = {
    createChannel: async () => {
      channels++;
      let open = true;
      return {
        on: () => undefined,
        close: async () => {
          if (!open) throw new Error('channel already closed');
          open = false;
        },
        checkQueue: async (queue: string) => {
          if (!open) throw new Error('channel closed');
          asked.push(queue);
          const messageCount = queues.get(queue);
          if (messageCount !== undefined) return { queue, messageCount, consumerCount: 0 };
          open = false;
          throw Object.assign(new Error(`NOT_FOUND - no queue '${queue}'`), { code: 404 });
        },
      };
    },
  };
  const connection = { ready: async () => model } as unknown as AmqpConnection;
  return { connection, asked, channels: () => channels };
}

const options = resolveOptions({ logger: silentLogger, delayLevelsMs: [100, 1_000, 10_000] });
const delayQueue = (level: number) => options.names.delayQueue('billing', level);

function topologyDeclaring(levels: Set<number>): Topology {
  return {
    names: options.names,
    group: (group: string) => ({ queue: options.names.groupQueue(group) }),
    hasDelayQueue: (_group: string, level: number) => levels.has(level),
  } as unknown as Topology;
}

afterEach(() => vi.useRealTimers());

describe('rabbitmq group backlog', () => {
  it('counts the group queue and its delay queues, and asks for a missing delay queue again only after a while', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
    const queues = new Map([
      [options.names.groupQueue('billing'), 3],
      [delayQueue(1_000), 2],
    ]);
    const broker = fakeBroker(queues);
    const backlog = groupBacklog(broker.connection, topologyDeclaring(new Set()), options);

    expect(await backlog('billing')).toBe(5);
    expect(broker.asked).toHaveLength(4);
    // Within the recheck time the missing levels are not asked for (no channel closed and reopened).
    broker.asked.length = 0;
    const channelsBefore = broker.channels();
    expect(await backlog('billing')).toBe(5);
    expect(broker.asked).toEqual([options.names.groupQueue('billing'), delayQueue(1_000)]);
    expect(broker.channels() - channelsBefore).toBe(1);

    // Another process's retry opens the 100 ms level: counted once the recheck time has passed.
    queues.set(delayQueue(100), 4);
    expect(await backlog('billing')).toBe(5);
    vi.setSystemTime(Date.now() + MISSING_RECHECK_MS + 1);
    expect(await backlog('billing')).toBe(9);
    expect(broker.asked).toContain(delayQueue(100));
  });

  it('always asks for a delay queue this transport declared itself', async () => {
    vi.useFakeTimers({ now: 1_000_000, toFake: ['Date'] });
    const queues = new Map([[options.names.groupQueue('billing'), 1]]);
    const broker = fakeBroker(queues);
    const declared = new Set<number>();
    const backlog = groupBacklog(broker.connection, topologyDeclaring(declared), options);
    expect(await backlog('billing')).toBe(1);
    // Its own retry declared the 10 s level and parked a message there: seen at once.
    declared.add(10_000);
    queues.set(delayQueue(10_000), 1);
    expect(await backlog('billing')).toBe(2);
  });
});
