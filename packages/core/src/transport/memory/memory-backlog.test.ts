import { describe, expect, it } from 'vitest';
import { eventually } from '../../testing/harness.js';
import { MemoryBroker, MemoryTransport } from './memory-broker.js';

describe('the in-process broker backlog', () => {
  it("counts a group's waiting messages, not the ones in flight", async () => {
    const transport = new MemoryTransport({ broker: new MemoryBroker() });
    await transport.connect();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    await transport.subscribe({ topics: ['orders'], group: 'mailer', concurrency: 1 }, async () => {
      started++;
      await held;
      return { kind: 'ack' };
    });
    const message = (id: string) => ({ topic: 'orders', key: 'k', headers: { 'ce-id': id }, body: new Uint8Array() });
    await transport.publish([message('1'), message('2'), message('3')]);
    await eventually('one in flight', () => started === 1);
    expect(await transport.backlog('mailer')).toBe(2);
    release();
    await eventually('all handled', () => started === 3);
    await eventually('nothing waiting', async () => (await transport.backlog('mailer')) === 0);
    await transport.close();
  });
});
