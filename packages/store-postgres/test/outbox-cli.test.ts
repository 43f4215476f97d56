import { defineEvent, encodeEvent, MemoryBroker, MemoryTransport, outboxRelay, type OutboxRelay } from '@tandem/core';
import { main } from '@tandem/core/cli';
import { bodyOf, eventually, RefusingTransport } from '@tandem/core/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { postgresStore } from '../src/index.js';
import { PG_URL, testSchema, postgresAvailable } from './harness.js';

const available = await postgresAvailable();

const Shipped = defineEvent('outbox-cli.shipped', { data: z.object({ id: z.string() }) });

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: () => out.join(''),
    err: () => err.join(''),
    io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env },
  };
}

describe.skipIf(!available)('tandem outbox on PostgreSQL', () => {
  const schema = testSchema();
  const url = `${PG_URL}?schema=${schema}`;
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
  const store = postgresStore({ connectionString: PG_URL, schema, cleanupIntervalMs: 0 });
  const broker = new MemoryBroker();
  const observer = new MemoryTransport({ broker });
  const refused = new Set<string>();
  let relay: OutboxRelay | undefined;

  afterAll(async () => {
    await relay?.stop();
    await observer.close();
    await store.close();
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('lists parked records, resends them with retry and drops them with discard', { timeout: 30_000 }, async () => {
    await store.connect();
    const seen: string[] = [];
    await observer.subscribe({ topics: [Shipped.topic], group: 'observer', concurrency: 1 }, async (m) => {
      const { id } = bodyOf<{ id: string }>(m);
      if (!seen.includes(id)) seen.push(id);
      return { kind: 'ack' };
    });
    refused.add('huge-1').add('huge-2');
    const transport = new RefusingTransport(broker, (m) => refused.has(bodyOf<{ id: string }>(m).id));
    relay = outboxRelay(store.outbox, transport, {
      parkAfter: 2,
      refusedRetryDelayMs: 20,
      retryDelayMs: 10,
      pollIntervalMs: 50,
      balanceIntervalMs: 50,
    });
    await relay.start();
    const events = [
      ['huge-1', 'order-1'],
      ['after-1', 'order-1'],
      ['huge-2', 'order-2'],
      ['after-2', 'order-2'],
      ['other', 'order-3'],
    ].map(([id, key]) => encodeEvent(Shipped, { id: id! }, { source: 'test', key: key! }));
    await store.transaction((tx) => store.outbox.append(tx, events));
    await eventually('both refused records are parked', async () => (await store.outbox.counts()).parked === 2);
    expect(seen).toEqual(['other']);

    const listed = io();
    expect(await main(['outbox', 'list', '--store', url], listed.io)).toBe(0);
    expect(listed.out()).toContain('2 outbox record(s) waiting, 2 parked');
    expect(listed.out()).toMatch(/outbox-cli\.shipped\s+order-1\s+2\s+parked /);
    expect(listed.out()).toContain('refused a message on outbox-cli.shipped');
    const json = io({ TANDEM_STORE_URL: url });
    expect(await main(['outbox', 'list', '--parked', '--json'], json.io)).toBe(0);
    const parked = json
      .out()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: string; key: string; attempts: number; body: string });
    expect(parked.map((p) => [p.key, p.attempts])).toEqual([
      ['order-1', 2],
      ['order-2', 2],
    ]);
    expect(JSON.parse(parked[0]!.body)).toEqual({ id: 'huge-1' });
    expect((await store.health()).detail).toContain('2 parked');

    // The broker takes the first one now: resent, and its key's later record follows it.
    refused.delete('huge-1');
    const retried = io();
    expect(await main(['outbox', 'retry', parked[0]!.seq, '--store', url], retried.io)).toBe(0);
    expect(retried.out()).toContain('1 outbox record(s) made new again');
    await eventually('order-1 is delivered in order', () => seen.includes('after-1'));
    expect(seen.indexOf('huge-1')).toBeLessThan(seen.indexOf('after-1'));

    // The second can never be sent: dropped, its key's later record goes.
    const discarded = io();
    expect(await main(['outbox', 'discard', parked[1]!.seq, '--store', url], discarded.io)).toBe(0);
    expect(discarded.out()).toContain('discarded 1 of 1');
    await eventually("order-2's later record is delivered", () => seen.includes('after-2'));
    expect(seen).not.toContain('huge-2');
    expect(await store.outbox.counts()).toEqual({ waiting: 0, parked: 0 });
    const empty = io();
    expect(await main(['outbox', 'list', '--store', url], empty.io)).toBe(0);
    expect(empty.out()).toContain('no refused records');
  });

  it('explains what is missing, with exit code 2', async () => {
    const noStore = io();
    expect(await main(['outbox', 'list'], noStore.io)).toBe(2);
    expect(noStore.err()).toContain('TANDEM_STORE_URL');
    const memory = io();
    expect(await main(['outbox', 'list', '--store', 'memory://'], memory.io)).toBe(2);
    expect(memory.err()).toContain('has no outbox this command can reach');
    const both = io();
    expect(await main(['outbox', 'retry', '1', '--all', '--store', url], both.io)).toBe(2);
    const neither = io();
    expect(await main(['outbox', 'retry', '--store', url], neither.io)).toBe(2);
    expect(neither.err()).toContain('either sequence numbers');
    const bad = io();
    expect(await main(['outbox', 'discard', 'x1', '--store', url], bad.io)).toBe(2);
    expect(bad.err()).toContain("'x1' is not a sequence number");
    const unknown = io();
    expect(await main(['outbox', 'resend'], unknown.io)).toBe(2);
    expect(unknown.err()).toContain("expected 'list', 'retry' or 'discard'");
  });
});
