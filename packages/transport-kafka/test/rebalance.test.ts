/**
 * Rebalances mid-stream: a second member joins the group, then the first one leaves
 * (graceful close) while messages are in flight. Nothing is lost; work whose partition
 * moved is redelivered rather than committed by the old owner, and no member moves a
 * partition's committed offset backwards within a generation (checked through kafkajs's
 * COMMIT_OFFSETS instrumentation events). The same offset may be committed again with a new
 * mark (crash-guard.ts): the mock refuses commits during a rebalance, so the members cannot
 * clear their marks there and the next owner hands those records out one at a time.
 */
import { Header } from '@tandem/core';
import { conformanceMessage, eventually, sleep, uniqueName } from '@tandem/core/testing';
import type { Consumer } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { mockTransport, startBroker, type RecordingKafka } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());

interface Commit {
  member: string;
  generation: number;
  partition: number;
  offset: bigint;
}

function recordCommits(client: RecordingKafka, commits: Commit[]): void {
  for (const consumer of client.created.filter((c): c is Consumer => 'paused' in c)) {
    consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
      for (const t of payload.topics) {
        for (const p of t.partitions) {
          commits.push({
            member: payload.memberId,
            generation: payload.groupGenerationId,
            partition: Number(p.partition),
            offset: BigInt(p.offset),
          });
        }
      }
    });
  }
}

describe.skipIf(!broker)('rebalance while messages are in flight', () => {
  it('loses nothing and never commits an offset backwards', { timeout: 90_000 }, async () => {
    const topic = uniqueName('rebalance.orders');
    const group = uniqueName('g-rebalance');
    await broker!.createTopic(`${topic}:3`);
    const handled: string[] = [];
    const handler = async (m: { id: string }) => {
      await sleep(2);
      handled.push(m.id);
      return { kind: 'ack' as const };
    };
    const commits: Commit[] = [];

    const a = mockTransport(broker!);
    await a.transport.connect();
    const subA = await a.transport.subscribe({ topics: [topic], group, concurrency: 4 }, handler);
    recordCommits(a.client, commits);
    await subA.ready;

    const total = 2_000;
    const sent = Array.from({ length: total }, (_, n) => conformanceMessage(topic, { n }, { key: `k-${n % 50}` }));
    await a.transport.publish(sent.slice(0, 1_000));
    await eventually('a is mid-stream', () => handled.length >= 200, 20_000, 1);

    const b = mockTransport(broker!);
    await b.transport.connect();
    const subB = await b.transport.subscribe({ topics: [topic], group, concurrency: 4 }, handler);
    recordCommits(b.client, commits);
    await subB.ready; // the group has rebalanced onto two members
    await a.transport.publish(sent.slice(1_000));
    await sleep(200);
    await a.transport.close(); // a leaves mid-stream: b takes every partition

    const ids = sent.map((m) => m.headers[Header.id]!);
    await eventually('every message handled', () => new Set(handled).size >= total, 60_000);
    const unique = new Set(handled);
    expect(ids.filter((id) => !unique.has(id))).toEqual([]);
    console.log(
      `[kafka rebalance test] ${total} messages, ${handled.length - unique.size} handled twice across two rebalances, ${commits.length} partition commits`,
    );

    const seen = new Map<string, bigint>();
    for (const c of commits) {
      const slot = `${c.member}/${c.generation}/${c.partition}`;
      const before = seen.get(slot);
      if (before !== undefined) expect(c.offset, `commit for ${slot}`).toBeGreaterThanOrEqual(before);
      seen.set(slot, c.offset);
    }
    expect(commits.length).toBeGreaterThan(0);
    await b.transport.close();
  });
});
