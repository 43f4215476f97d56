/**
 * A message whose handler ends the process, with a supervisor that starts the process
 * again each time: the message is dead-lettered with reason `crash-loop` once it took the
 * consumer down crashLoopLimit + 1 times (the first crash is shared by every message in
 * flight and is not charged; see run-ledger.ts), every other message is handled, those
 * behind it on its key only after it, and no message is dead-lettered with it. Once per
 * queue type.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, encodeEvent } from '@tandem/core';
import { eventually, serviceAvailable } from '@tandem/core/testing';
import { sharedBrokerUse } from './support/broker-lock.js';
import { RABBITMQ_URL, rabbitAvailable, transportFactory } from './support/rabbitmq.js';
import { rabbitmqctl, rabbitmqctlAvailable } from './support/rabbitmqctl.js';
import { bundleFixture, Supervisor } from './support/supervisor.js';

const available = await rabbitAvailable();
const ctl = available && (await serviceAvailable('rabbitmqctl (local RabbitMQ node)', rabbitmqctlAvailable));
const CRASH_LOOP_LIMIT = 2;
const OTHERS = 40;
const KEYS = 5;

describe.skipIf(!available)('crash loop: a message that ends its consumer process', () => {
  sharedBrokerUse();
  let script: string;
  beforeAll(async () => {
    script = await bundleFixture('crash-consumer');
  }, 60_000);

  describe.each(['classic', 'quorum'] as const)('on %s queues', (queueType) => {
    const transports = transportFactory({ queueType });
    const supervisors: Supervisor[] = [];
    afterAll(async () => {
      await Promise.all(supervisors.map((s) => s.stop()));
      await transports.cleanUp();
    });

    it(
      `is dead-lettered as crash-loop after ${CRASH_LOOP_LIMIT + 1} crashes; the rest flows, in order per key`,
      { timeout: 60_000 },
      async () => {
        const Event = defineEvent(`crash.loop-${randomBytes(4).toString('hex')}`, {
          data: z.object({ n: z.number() }),
        });
        const group = `crash-${queueType}`;
        const handled: Array<{ n: number; key: string; start: number }> = [];
        const poisonRuns: number[] = [];
        const supervisor = new Supervisor({
          script,
          env: {
            RABBITMQ_URL,
            PREFIX: transports.prefix,
            GROUP: group,
            EVENT: Event.topic,
            QUEUE_TYPE: queueType,
            CRASH_LOOP_LIMIT: String(CRASH_LOOP_LIMIT),
          },
          onLine(line, start) {
            if (line === 'poison') poisonRuns.push(start);
            const match = /^handled (\d+) (\S+)$/.exec(line);
            if (match) handled.push({ n: Number(match[1]), key: match[2]!, start });
          },
          maxExits: CRASH_LOOP_LIMIT + 4,
        });
        supervisors.push(supervisor);
        await supervisor.start();

        // The poison message first, then others; every fifth shares its key and must wait for it.
        const publisher = transports.create();
        await publisher.connect();
        const keyOf = (n: number) => `k${n % KEYS}`;
        await publisher.publish(
          Array.from({ length: OTHERS + 1 }, (_, n) => encodeEvent(Event, { n }, { source: 'test', key: keyOf(n) })),
        );

        await eventually(
          'the poison message in the dead-letter queue',
          async () => {
            if (supervisor.gaveUp) throw new Error(`still crash-looping after ${supervisor.exits.length} exits`);
            return (await publisher.deadLetters.list(group)).length > 0;
          },
          40_000,
          100,
        );
        await eventually('every other message handled', () => new Set(handled.map((h) => h.n)).size === OTHERS, 20_000);

        const letters = await publisher.deadLetters.list(group);
        expect(letters.map((l) => [l.reason, JSON.parse(new TextDecoder().decode(l.message.body)).n])).toEqual([
          ['crash-loop', 0],
        ]);
        expect(letters[0]!.message.key).toBe('k0');
        expect(poisonRuns).toHaveLength(CRASH_LOOP_LIMIT + 1);
        expect(supervisor.exits).toEqual(Array.from({ length: CRASH_LOOP_LIMIT + 1 }, () => 1));

        // Order per key: each message's first run comes after the first run of every earlier one of its key.
        for (let k = 0; k < KEYS; k++) {
          const firstRuns = [...new Set(handled.filter((h) => h.key === `k${k}`).map((h) => h.n))];
          expect(firstRuns).toEqual([...firstRuns].sort((a, b) => a - b));
        }
        // Behind the poison message on its key, nothing ran before it was dead-lettered; on the
        // other keys, messages were handled between its crashes.
        const lastStart = supervisor.exits.length + 1;
        expect(handled.filter((h) => h.key === 'k0').every((h) => h.start === lastStart)).toBe(true);
        expect(handled.filter((h) => h.start < lastStart).length).toBeGreaterThan(0);
        console.info(
          `[crash-loop ${queueType}] ${supervisor.exits.length} exits; ${handled.length} handler runs for ${OTHERS} other messages; runs per start: ${JSON.stringify(countBy(handled.map((h) => h.start)))}`,
        );
        if (ctl) {
          const ledgers = `${transports.prefix}.runs.`;
          await eventually(
            'no run ledger left behind',
            async () => !(await queueNames()).some((q) => q.startsWith(ledgers)),
          );
        }
      },
    );
  });
});

async function queueNames(): Promise<string[]> {
  return (await rabbitmqctl('-q', 'list_queues', 'name', '--no-table-headers')).split('\n').map((l) => l.trim());
}

function countBy(values: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
