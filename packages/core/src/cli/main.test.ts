import { describe, expect, it } from 'vitest';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';
import { conformanceMessage, eventually, uniqueName } from '../testing/harness.js';
import { Header } from '../messages/headers.js';
import { main } from './main.js';
import { captureIo } from './io.fixture.js';

const io = captureIo;

describe('tandem CLI', () => {
  it('lists and replays a group’s dead letters on the broker named by --broker', async () => {
    const name = uniqueName('cli');
    const topic = uniqueName('cli.topic');
    const transport = new MemoryTransport({ broker: MemoryBroker.shared(name) });
    let failing = true;
    const handled: string[] = [];
    await transport.subscribe({ topics: [topic], group: 'billing', concurrency: 1 }, async (m) => {
      if (failing)
        return { kind: 'dead-letter', reason: 'non-retryable', error: new Error('card declined'), attempts: 1 };
      handled.push(m.id);
      return { kind: 'ack' };
    });
    const messages = [
      conformanceMessage(topic, { n: 1 }, { key: 'a' }),
      conformanceMessage(topic, { n: 2 }, { key: 'b' }),
      conformanceMessage(topic, { n: 3 }, { key: 'c' }),
    ];
    await transport.publish(messages);
    const ids = messages.map((m) => m.headers[Header.id]!);
    await eventually('three dead letters', async () => (await transport.deadLetters.list('billing')).length === 3);
    const [first, ...others] = (await transport.deadLetters.list('billing')).map((l) => l.id);

    const listed = io();
    expect(await main(['dead-letters', 'list', '--group', 'billing', '--broker', `memory://${name}`], listed.io)).toBe(
      0,
    );
    expect(listed.out.join('')).toContain('card declined');
    for (const id of [first, ...others]) expect(listed.out.join('')).toContain(id);

    const json = io();
    expect(
      await main(['dead-letters', 'list', '--group', 'billing', '--json', '--limit', '1'], {
        ...json.io,
        env: { TANDEM_BROKER_URL: `memory://${name}` },
      }),
    ).toBe(0);
    expect(JSON.parse(json.out.join(''))).toMatchObject({ id: first, reason: 'non-retryable', attempts: 1, topic });

    failing = false;
    const one = io();
    expect(
      await main(
        ['dead-letters', 'replay', '--group', 'billing', '--id', first!, '--broker', `memory://${name}`],
        one.io,
      ),
    ).toBe(0);
    expect(one.out.join('')).toContain('replayed 1 of 1');
    await eventually('the replayed message is handled', () => handled.length === 1);
    expect(handled).toEqual([first]);

    const rest = io();
    expect(
      await main(['dead-letters', 'replay', '--group', 'billing', '--all', '--broker', `memory://${name}`], rest.io),
    ).toBe(0);
    await eventually('all replayed', () => handled.length === 3);
    expect(await transport.deadLetters.list('billing')).toEqual([]);
    expect(new Set(handled)).toEqual(new Set(ids));
    await transport.close();
  });

  it('prints the PostgreSQL store DDL for a migration tool', async () => {
    const out = io();
    expect(await main(['store-sql', '--schema', 'billing'], out.io)).toBe(0);
    expect(out.out.join('')).toContain('CREATE TABLE IF NOT EXISTS "billing"."tandem_outbox"');
    expect(out.out.join('')).toContain('"billing"."tandem_idempotency"');
  });

  it('discards chosen dead letters for good, and says when one was not there', async () => {
    const name = uniqueName('cli-discard');
    const topic = uniqueName('cli.topic');
    const transport = new MemoryTransport({ broker: MemoryBroker.shared(name) });
    await transport.subscribe({ topics: [topic], group: 'billing', concurrency: 1 }, async () => ({
      kind: 'dead-letter',
      reason: 'non-retryable',
      error: new Error('card declined'),
      attempts: 1,
    }));
    await transport.publish([1, 2, 3].map((n) => conformanceMessage(topic, { n }, { key: `k${n}` })));
    await eventually('three dead letters', async () => (await transport.deadLetters.list('billing')).length === 3);
    const [first, second, third] = (await transport.deadLetters.list('billing')).map((l) => l.id);
    const broker = ['--broker', `memory://${name}`];

    const one = io();
    expect(await main(['dead-letters', 'discard', '--group', 'billing', '--id', second!, ...broker], one.io)).toBe(0);
    expect(one.out.join('')).toBe(`discarded 1 of 1 dead letter(s) of group 'billing'\n`);
    expect((await transport.deadLetters.list('billing')).map((l) => l.id)).toEqual([first, third]);

    const again = io();
    expect(await main(['dead-letters', 'discard', '--group', 'billing', '--id', second!, ...broker], again.io)).toBe(1);
    expect(again.out.join('')).toContain('discarded 0 of 1');

    const viaApp = io();
    expect(
      await main(['dead-letters', 'discard', '--group', 'billing', '--all', '--app', 'http://127.0.0.1:1'], viaApp.io),
    ).toBe(2);
    expect(viaApp.err.join('')).toContain('--app lists and replays only');

    const all = io();
    expect(await main(['dead-letters', 'discard', '--group', 'billing', '--all', ...broker], all.io)).toBe(0);
    expect(all.out.join('')).toContain('discarded 2 of 2');
    expect(await transport.deadLetters.list('billing')).toEqual([]);
    await transport.close();
  });

  it('explains what is missing, with exit code 2', async () => {
    const noGroup = io();
    expect(await main(['dead-letters', 'list', '--broker', 'memory://'], noGroup.io)).toBe(2);
    expect(noGroup.err.join('')).toContain('--group is required');
    const noBroker = io();
    expect(await main(['dead-letters', 'list', '--group', 'g'], noBroker.io)).toBe(2);
    expect(noBroker.err.join('')).toContain('TANDEM_BROKER_URL');
    const badScheme = io();
    expect(await main(['dead-letters', 'list', '--group', 'g', '--broker', 'kafak://x'], badScheme.io)).toBe(2);
    expect(badScheme.err.join('')).toContain("--broker: unknown scheme 'kafak'");
    const both = io();
    expect(
      await main(['dead-letters', 'replay', '--group', 'g', '--broker', 'memory://', '--all', '--id', 'x'], both.io),
    ).toBe(2);
    const noAction = io();
    expect(await main(['dead-letters', 'purge', '--group', 'g'], noAction.io)).toBe(2);
    expect(noAction.err.join('')).toContain("expected 'list', 'replay' or 'discard', got 'purge'");
    const unknown = io();
    expect(await main(['dead-lettres'], unknown.io)).toBe(2);
    expect(unknown.err.join('')).toContain("unknown command 'dead-lettres'");
  });

  it('never prints the password of a URL it was given', async () => {
    for (const argv of [
      ['outbox', 'list', '--store', 'postgres://shop:s3cr3t@db:99999/shop'],
      ['sagas', 'list', '--store', 'postgres://shop:s3cr3t@db:99999/shop'],
      ['sagas', 'retry', 'checkout', 'o-1', '--store', 'postgres://shop:s3cr3t@db:99999/shop'],
      ['dead-letters', 'list', '--group', 'g', '--broker', 'amqp://shop:s3cr3t@rabbit:99999'],
    ]) {
      const run = io();
      expect(await main(argv, run.io)).toBe(2);
      expect(run.err.join('')).toMatch(/^tandem: --(store|broker): '\w+:\/\/\*\*\*@\w+:99999[^']*' is not a URL/);
      expect(run.err.join('')).not.toMatch(/s3cr3t|shop:/);
    }
  });
});
