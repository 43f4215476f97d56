import { createApp, defineEvent, MemoryBroker, MemoryTransport, NonRetryableError, silentLogger } from '@tandem/core';
import { main } from '@tandem/core/cli';
import { eventually } from '@tandem/core/testing';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { httpServer } from '../src/index.js';

const Paid = defineEvent('payments.paid', { data: z.object({ orderId: z.string() }) });

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env: {} },
  };
}

describe('tandem dead-letters and the in-process broker', () => {
  it('says plainly, pointed at memory://, that the dead letters live in the running app and how to see them', async () => {
    const listed = io();
    expect(
      await main(['dead-letters', 'list', '--group', 'billing', '--broker', 'memory://cli-note-nobody'], listed.io),
    ).toBe(0);
    expect(listed.out.join('')).toBe('no dead letters\n');
    const note = listed.err.join('');
    expect(note).toContain(
      "memory:// is the in-process broker: its dead letters live inside the running app's process, not in this command's",
    );
    expect(note).toContain('tandem dead-letters list --group billing --app http://127.0.0.1:3000');
    expect(note).toContain('httpServer({ admin: { deadLetters: true } })');
  });

  it('lists and replays a running app’s dead letters with --app', async () => {
    const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger, admin: { deadLetters: true } });
    const app = createApp({
      name: 'billing',
      broker: new MemoryTransport({ broker: new MemoryBroker() }),
      http: server,
      logger: silentLogger,
    });
    app.onEvent(Paid, (event) => {
      throw new NonRetryableError(`card declined for ${event.orderId}`);
    });
    await app.start();
    try {
      await app.publish(Paid, { orderId: 'o-1' }, { key: 'o-1' });
      await eventually('a dead letter', async () => (await app.broker.deadLetters!.list('billing')).length === 1);
      const [letter] = await app.broker.deadLetters!.list('billing');

      const listed = io();
      expect(await main(['dead-letters', 'list', '--group', 'billing', '--app', server.url!], listed.io)).toBe(0);
      expect(listed.out.join('')).toContain(letter!.id);
      expect(listed.out.join('')).toContain('TANDEM_NON_RETRYABLE: card declined for o-1');
      const json = io();
      expect(await main(['dead-letters', 'list', '--group', 'billing', '--app', server.url!, '--json'], json.io)).toBe(
        0,
      );
      expect(JSON.parse(json.out.join(''))).toMatchObject({ id: letter!.id, body: '{"orderId":"o-1"}' });

      const replayed = io();
      expect(
        await main(
          ['dead-letters', 'replay', '--group', 'billing', '--id', letter!.id, '--app', server.url!],
          replayed.io,
        ),
      ).toBe(0);
      expect(replayed.out.join('')).toBe("replayed 1 of 1 dead letter(s) to group 'billing'\n");

      const off = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
      const other = createApp({
        broker: new MemoryTransport({ broker: new MemoryBroker() }),
        http: off,
        logger: silentLogger,
      });
      await other.start();
      try {
        const refused = io();
        expect(await main(['dead-letters', 'list', '--group', 'app', '--app', off.url!], refused.io)).toBe(2);
        expect(refused.err.join('')).toContain(
          'serves no admin routes; start its server with httpServer({ admin: { deadLetters: true } })',
        );
      } finally {
        await other.stop();
      }
    } finally {
      await app.stop();
    }
  });
});
