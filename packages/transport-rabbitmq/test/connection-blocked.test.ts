/**
 * A resource alarm: RabbitMQ blocks publishing connections (`connection.blocked`). The
 * transport reports it in health(), a publish waits instead of failing at once, and both
 * recover when the alarm clears. The alarm is raised by setting the memory watermark to
 * 0 for a moment, which affects the whole node, so this suite runs alone.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { conformanceMessage, eventually, serviceAvailable, sleep, uniqueName } from '@tandem/core/testing';
import { exclusiveBrokerUse } from './support/broker-lock.js';
import { rabbitAvailable, transportFactory } from './support/rabbitmq.js';
import { rabbitmqctl, rabbitmqctlAvailable } from './support/rabbitmqctl.js';

const available =
  (await rabbitAvailable()) && (await serviceAvailable('rabbitmqctl (local RabbitMQ node)', rabbitmqctlAvailable));
const transports = transportFactory({ publishTimeoutMs: 20_000 });

async function watermark(): Promise<string[]> {
  const value = (await rabbitmqctl('eval', 'vm_memory_monitor:get_vm_memory_high_watermark().')).trim();
  const absolute = /^\{absolute,\s*(\d+)\}$/.exec(value);
  return absolute ? ['absolute', absolute[1]!] : [value];
}

describe.skipIf(!available)('rabbitmq connection.blocked', () => {
  exclusiveBrokerUse();
  let restore: string[] | undefined;
  afterAll(async () => {
    if (restore) await rabbitmqctl('set_vm_memory_high_watermark', ...restore);
    await transports.cleanUp();
  });

  it(
    'reports a blocked connection in health() and lets publishes wait until it is unblocked',
    { timeout: 60_000 },
    async () => {
      const t = transports.create();
      await t.connect();
      const topic = uniqueName('blocked.topic');
      const got: string[] = [];
      const s = await t.subscribe(
        { topics: [topic], group: uniqueName('blocked'), concurrency: 1 },
        async (m) => (got.push(m.id), { kind: 'ack' }),
      );
      await s.ready;
      expect(t.health().ok).toBe(true);

      restore = await watermark();
      await rabbitmqctl('set_vm_memory_high_watermark', '0');
      // RabbitMQ blocks a connection when it next publishes.
      let settled = false;
      const pending = t.publish([conformanceMessage(topic, { n: 1 })]).finally(() => (settled = true));
      await eventually('the blocked notice', () => !t.health().ok, 15_000);
      expect(t.health().detail).toMatch(/blocked/);
      await sleep(300);
      expect(settled).toBe(false);

      await rabbitmqctl('set_vm_memory_high_watermark', ...restore);
      restore = undefined;
      await pending;
      await eventually('the message after the alarm', () => got.length === 1);
      await eventually('healthy again', () => t.health().ok);
    },
  );
});
