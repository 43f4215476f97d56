/**
 * The transport conformance suite. Every broker transport runs it, unchanged, against its
 * real broker: `runTransportConformance(harness)` inside a vitest test file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Header } from '../messages/headers.js';
import type {
  BrokerTransport,
  Disposition,
  IncomingMessage,
  MessageHandler,
  Subscription,
} from '../transport/broker.js';
import {
  bodyOf,
  conformanceMessage,
  deferred,
  eventually,
  sleep,
  uniqueName,
  type TransportHarness,
} from './harness.js';

/** Registers the conformance suite every broker transport must pass, in the calling test file. */
export function runTransportConformance(harness: TransportHarness): void {
  const timeout = harness.timeoutMs ?? 30_000;
  const slack = harness.retryDelaySlackMs ?? 2_000;
  const open: BrokerTransport[] = [];

  async function transport(): Promise<BrokerTransport> {
    const t = await harness.create();
    await t.connect();
    open.push(t);
    return t;
  }

  async function topics(...names: string[]): Promise<string[]> {
    const full = names.map((n) => uniqueName(`conformance.${n}`));
    await harness.prepareTopics?.(full);
    return full;
  }

  async function subscribe(
    t: BrokerTransport,
    topic: string | string[],
    group: string,
    handle: MessageHandler,
    concurrency = 4,
  ): Promise<Subscription> {
    const s = await t.subscribe({ topics: Array.isArray(topic) ? topic : [topic], group, concurrency }, handle);
    await s.ready;
    return s;
  }

  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((t) => t.close()));
  });

  describe(`transport conformance: ${harness.name}`, () => {
    it('delivers published messages with body, key, headers, id and attempt 1', { timeout }, async () => {
      const [topic] = await topics('basic');
      const t = await transport();
      const got: IncomingMessage[] = [];
      await subscribe(t, topic!, uniqueName('g-basic'), async (m) => (got.push(m), { kind: 'ack' }));
      const sent = [1, 2, 3].map((n) =>
        conformanceMessage(topic!, { n }, { key: 'k1', headers: { 'x-custom': `v${n}` } }),
      );
      await t.publish(sent);
      await eventually('3 messages', () => got.length >= 3);
      for (const [i, m] of got.entries()) {
        expect(bodyOf(m)).toEqual({ n: i + 1 });
        expect(m.key).toBe('k1');
        expect(m.id).toBe(sent[i]!.headers[Header.id]);
        expect(m.attempt).toBe(1);
        expect(m.origin.topic).toBe(topic);
        expect(m.headers).toMatchObject(sent[i]!.headers);
      }
    });

    it('gives every consumer group every message (fan-out)', { timeout }, async () => {
      const [topic] = await topics('fanout');
      const t = await transport();
      const a: string[] = [];
      const b: string[] = [];
      await subscribe(t, topic!, uniqueName('g-fan-a'), async (m) => (a.push(m.id), { kind: 'ack' }));
      await subscribe(t, topic!, uniqueName('g-fan-b'), async (m) => (b.push(m.id), { kind: 'ack' }));
      const sent = Array.from({ length: 10 }, (_, n) => conformanceMessage(topic!, { n }, { key: `k${n}` }));
      await t.publish(sent);
      await eventually('both groups got 10', () => a.length >= 10 && b.length >= 10);
      const ids = sent.map((m) => m.headers[Header.id]).sort();
      expect([...a].sort()).toEqual(ids);
      expect([...b].sort()).toEqual(ids);
    });

    it('shares one group between competing consumers, each message handled once', { timeout }, async () => {
      const [topic] = await topics('compete');
      const group = uniqueName('g-compete');
      const first = await transport();
      const second = await transport();
      const byFirst: string[] = [];
      const bySecond: string[] = [];
      await subscribe(first, topic!, group, async (m) => (byFirst.push(m.id), { kind: 'ack' }));
      await subscribe(second, topic!, group, async (m) => (bySecond.push(m.id), { kind: 'ack' }));
      const sent = Array.from({ length: 60 }, (_, n) => conformanceMessage(topic!, { n }, { key: `key-${n}` }));
      await first.publish(sent);
      await eventually('60 handled', () => byFirst.length + bySecond.length >= 60);
      await sleep(300);
      const all = [...byFirst, ...bySecond];
      expect(new Set(all).size).toBe(60);
      expect(all.length).toBe(60);
      expect(byFirst.length).toBeGreaterThan(0);
      expect(bySecond.length).toBeGreaterThan(0);
    });

    it('keeps publish order per key while handling keys concurrently', { timeout }, async () => {
      const [topic] = await topics('order');
      const t = await transport();
      const seen = new Map<string, number[]>();
      let running = 0;
      let maxRunning = 0;
      await subscribe(
        t,
        topic!,
        uniqueName('g-order'),
        async (m) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await sleep(Math.random() * 3);
          const { seq } = bodyOf<{ seq: number }>(m);
          seen.set(m.key!, [...(seen.get(m.key!) ?? []), seq]);
          running--;
          return { kind: 'ack' };
        },
        8,
      );
      const keys = ['alpha', 'beta', 'gamma'];
      const sent = [];
      for (let seq = 0; seq < 50; seq++)
        for (const key of keys) sent.push(conformanceMessage(topic!, { seq }, { key }));
      await t.publish(sent);
      await eventually('150 handled', () => keys.every((k) => (seen.get(k)?.length ?? 0) >= 50), timeout - 2_000);
      for (const key of keys) expect(seen.get(key)).toEqual(Array.from({ length: 50 }, (_, i) => i));
      expect(maxRunning).toBeGreaterThan(1);
    });

    it('redelivers to the group what a crashed consumer had not settled', { timeout }, async () => {
      const [topic] = await topics('crash');
      const group = uniqueName('g-crash');
      const doomed = await transport();
      const received = deferred<string>();
      await subscribe(doomed, topic!, group, (m) => {
        received.resolve(m.id);
        return new Promise<Disposition>(() => undefined);
      });
      const message = conformanceMessage(topic!, { n: 1 }, { key: 'k' });
      await doomed.publish([message]);
      expect(await received.promise).toBe(message.headers[Header.id]);
      await harness.crash(doomed);
      open.splice(open.indexOf(doomed), 1);
      const survivor = await transport();
      const again: IncomingMessage[] = [];
      await subscribe(survivor, topic!, group, async (m) => (again.push(m), { kind: 'ack' }));
      await eventually('redelivery after the crash', () => again.length >= 1, timeout - 5_000);
      expect(again[0]!.id).toBe(message.headers[Header.id]);
      expect(bodyOf(again[0]!)).toEqual({ n: 1 });
    });

    it(
      'retries after a delay, in the failing group only, with headers kept and attempt raised',
      { timeout },
      async () => {
        const [topic] = await topics('retry');
        const t = await transport();
        const failing: Array<{ m: IncomingMessage; at: number }> = [];
        const healthy: string[] = [];
        const delayMs = 500;
        await subscribe(t, topic!, uniqueName('g-retry-fail'), async (m) => {
          failing.push({ m, at: Date.now() });
          return m.attempt < 2 ? { kind: 'retry', delayMs, attempt: m.attempt + 1 } : { kind: 'ack' };
        });
        await subscribe(t, topic!, uniqueName('g-retry-ok'), async (m) => (healthy.push(m.id), { kind: 'ack' }));
        const message = conformanceMessage(topic!, { n: 1 }, { key: 'r', headers: { 'x-custom': 'kept' } });
        await t.publish([message]);
        await eventually('the retry', () => failing.length >= 2, delayMs + slack + 10_000);
        const [first, second] = failing;
        expect(second!.m.id).toBe(first!.m.id);
        expect(first!.m.attempt).toBe(1);
        expect(second!.m.attempt).toBe(2);
        expect(second!.at - first!.at).toBeGreaterThanOrEqual(delayMs - 50);
        expect(second!.at - first!.at).toBeLessThanOrEqual(delayMs + slack);
        expect(second!.m.headers).toMatchObject({
          'x-custom': 'kept',
          [Header.traceparent]: message.headers[Header.traceparent],
        });
        expect(bodyOf(second!.m)).toEqual({ n: 1 });
        await sleep(300);
        expect(healthy).toEqual([message.headers[Header.id]]);
        expect(failing).toHaveLength(2);
      },
    );

    it('keeps other messages flowing while one is being retried', { timeout }, async () => {
      const [topic] = await topics('poison');
      const t = await transport();
      const done: number[] = [];
      let poisonRuns = 0;
      await subscribe(t, topic!, uniqueName('g-poison'), async (m) => {
        const { n } = bodyOf<{ n: number }>(m);
        if (n === 0) {
          poisonRuns++;
          return { kind: 'retry', delayMs: 1_000, attempt: m.attempt + 1 };
        }
        done.push(n);
        return { kind: 'ack' };
      });
      await t.publish([conformanceMessage(topic!, { n: 0 }, { key: 'poison' })]);
      await eventually('the poison message was tried', () => poisonRuns >= 1);
      await t.publish(
        Array.from({ length: 20 }, (_, i) => conformanceMessage(topic!, { n: i + 1 }, { key: `other-${i}` })),
      );
      await eventually('20 others handled', () => done.length >= 20);
      expect(poisonRuns).toBeLessThanOrEqual(2);
    });

    it('dead-letters with reason, error, attempts, origin and original headers, and replays', { timeout }, async () => {
      const [topic] = await topics('dlq');
      const group = uniqueName('g-dlq');
      const t = await transport();
      expect(t.deadLetters, 'a Tandem transport provides deadLetters').toBeDefined();
      const runs: IncomingMessage[] = [];
      await subscribe(t, topic!, group, async (m) => {
        runs.push(m);
        if (runs.length === 1) return { kind: 'dead-letter', reason: 'poison', error: new Error('boom'), attempts: 3 };
        return { kind: 'ack' };
      });
      const message = conformanceMessage(topic!, { n: 7 }, { key: 'd', headers: { 'x-custom': 'kept' } });
      const id = message.headers[Header.id]!;
      await t.publish([message]);
      let letters: Awaited<ReturnType<NonNullable<BrokerTransport['deadLetters']>['list']>> = [];
      await eventually('the dead letter is listed', async () => {
        letters = await t.deadLetters!.list(group);
        return letters.some((l) => l.id === id);
      });
      const letter = letters.find((l) => l.id === id)!;
      expect(letter.reason).toBe('poison');
      expect(letter.error).toContain('boom');
      expect(letter.attempts).toBe(3);
      expect(letter.group).toBe(group);
      expect(letter.origin.topic).toBe(topic);
      expect(letter.message.topic).toBe(topic);
      expect(letter.message.key).toBe('d');
      expect(letter.message.headers).toMatchObject({
        'x-custom': 'kept',
        [Header.traceparent]: message.headers[Header.traceparent],
      });
      expect(bodyOf(letter.message)).toEqual({ n: 7 });
      expect(letter.deadLetteredAt).toMatch(/^\d{4}-\d\d-\d\dT/);

      expect(await t.deadLetters!.replay(group, [id])).toBe(1);
      await eventually('the replayed message is handled', () => runs.length >= 2);
      expect(runs[1]!.id).toBe(id);
      expect(runs[1]!.attempt).toBe(1);
      await eventually(
        'the replayed letter is gone',
        async () => !(await t.deadLetters!.list(group)).some((l) => l.id === id),
      );
    });

    it(
      'closes gracefully: in-flight handlers finish and are settled, nothing is redelivered',
      { timeout },
      async () => {
        const [topic] = await topics('close');
        const group = uniqueName('g-close');
        const t = await transport();
        const started = deferred();
        let finished = false;
        await subscribe(t, topic!, group, async () => {
          started.resolve();
          await sleep(300);
          finished = true;
          return { kind: 'ack' };
        });
        await t.publish([conformanceMessage(topic!, { n: 1 }, { key: 'c' })]);
        await started.promise;
        await t.close();
        expect(finished).toBe(true);
        await expect(t.publish([conformanceMessage(topic!, { n: 2 })])).rejects.toThrow();
        const next = await transport();
        const redelivered: string[] = [];
        await subscribe(next, topic!, group, async (m) => (redelivered.push(m.id), { kind: 'ack' }));
        await sleep(1_000);
        expect(redelivered).toEqual([]);
      },
    );
  });
}
