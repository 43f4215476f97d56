import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp, defineEvent, MemoryBroker, MemoryTransport, service, silentLogger } from '../index.js';
import { eventually, sleep } from '../testing/harness.js';

const Placed = defineEvent('orders.placed', { data: z.object({ id: z.string() }) });

/**
 * A message that takes its consumer down never gets a disposition, so retry counting in
 * the handler cannot see it. The broker's delivery count can: after `crashLoopLimit`
 * deliveries that never settled, the next one is dead-lettered instead of run.
 */
describe('crash loop', () => {
  it('dead-letters a message that took its consumer down crashLoopLimit times, and the rest keep flowing', async () => {
    const broker = new MemoryBroker();
    const handled: string[] = [];
    let poisonRuns = 0;
    const start = async () => {
      const transport = new MemoryTransport({ broker });
      // Each "process" hangs on the poison message: the test then crashes it, as a process
      // that exits or is killed mid-handler would vanish.
      const shipping = service('shipping').onEvent(Placed, async ({ id }) => {
        if (id === 'poison') {
          poisonRuns++;
          await new Promise(() => undefined);
        }
        if (id.endsWith('-slow')) await sleep(300);
        handled.push(id);
      });
      const app = createApp({ services: [shipping], broker: transport, logger: silentLogger, crashLoopLimit: 2 });
      await app.start();
      return { app, transport };
    };

    const publisher = createApp({ broker: new MemoryTransport({ broker }), logger: silentLogger });
    await publisher.start();
    let current = await start();
    // Neighbours in flight beside the poison message when each crash comes: they were held by
    // the dead consumer too, but run alone afterwards, succeed, and are not counted again.
    const neighbours = ['n1', 'n2', 'n3'];
    await publisher.publish(Placed, { id: 'poison' }, { key: 'k' });
    for (const id of neighbours) await publisher.publish(Placed, { id: `${id}-slow` }, { key: id });
    for (let crash = 1; crash <= 2; crash++) {
      await eventually(`poison run ${crash}`, () => poisonRuns === crash);
      current.transport.crash();
      current = await start();
    }
    await publisher.publish(Placed, { id: 'after' }, { key: 'k' });
    await eventually('the message behind it on the same key', () => handled.includes('after'));
    await eventually('the neighbours', () => neighbours.every((n) => handled.includes(`${n}-slow`)));
    expect(poisonRuns).toBe(2);
    const letters = await current.transport.deadLetters.list('shipping');
    expect(letters.map((l) => [l.reason, JSON.parse(new TextDecoder().decode(l.message.body)).id])).toEqual([
      ['crash-loop', 'poison'],
    ]);
    await current.app.stop();
    await publisher.stop();
  });
});
