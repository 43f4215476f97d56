/**
 * `tandem replay --broker amqp://.. --store postgres://..` end to end: the CLI reads the
 * producer's outbox table and delivers to one group's queue, which handles each past event
 * once, with its original id, while the group that saw them live sees nothing more.
 */
import { randomBytes } from 'node:crypto';
import { createApp, defineCommand, defineEvent, silentLogger, type App } from '@tandem/core';
import { main } from '@tandem/core/cli';
import { eventually } from '@tandem/core/testing';
import { postgresStore } from '@tandem/store-postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sharedBrokerUse } from './support/broker-lock.js';
import { dropSchema, PG_URL, postgresAvailable } from './support/postgres.js';
import { RABBITMQ_URL, rabbitAvailable, transportFactory } from './support/rabbitmq.js';

const available = (await rabbitAvailable()) && (await postgresAvailable());
const transports = transportFactory();
const schema = `cli_replay_${randomBytes(4).toString('hex')}`;
const service = `cli${randomBytes(3).toString('hex')}`;
const Placed = defineEvent(`${service}.placed`, { data: z.object({ n: z.number(), key: z.string() }) });
const Place = defineCommand(`${service}.place`, { input: z.object({ n: z.number() }), output: z.object({}) });

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env: {} },
  };
}

if (available) {
  sharedBrokerUse();
  const apps: App[] = [];
  afterAll(async () => {
    for (const app of apps.reverse()) await app.stop().catch(() => undefined);
    await transports.cleanUp();
    await dropSchema(schema);
  });

  describe('tandem replay on RabbitMQ with the PostgreSQL outbox', () => {
    it(
      'delivers the past events to that group only, with their ids, in order per key',
      { timeout: 90_000 },
      async () => {
        const store = () => postgresStore({ connectionString: PG_URL, schema, cleanupIntervalMs: 0 });
        const seen: Array<{ n: number; id: string }> = [];
        const late: Array<{ n: number; id: string }> = [];
        const producer = createApp({
          name: `${service}-orders`,
          broker: transports.create(),
          store: store(),
          logger: silentLogger,
        })
          .command(Place, async ({ n }, ctx) => {
            await ctx.publish(Placed, { n, key: `k${n % 3}` }, { key: `k${n % 3}` });
            return {};
          })
          .onEvent(Placed, (d, ctx) => void seen.push({ n: d.n, id: ctx.meta.messageId }), {
            group: `${service}-seen`,
          });
        apps.push(producer);
        await producer.start();
        const since = new Date(Date.now() - 1_000).toISOString();
        for (let n = 1; n <= 12; n++) await producer.call(Place, { n });
        await eventually('the live group handled the 12 orders', () => seen.length === 12, 30_000);

        const group = `${service}-late`;
        const consumer = createApp({
          name: group,
          broker: transports.create(),
          store: store(),
          logger: silentLogger,
        }).onEvent(Placed, (d, ctx) => void late.push({ n: d.n, id: ctx.meta.messageId }), { group });
        apps.push(consumer);
        await consumer.start();

        const args = [
          'replay',
          '--broker',
          `${RABBITMQ_URL}?prefix=${transports.prefix}`,
          '--store',
          `${PG_URL}?schema=${schema}`,
          '--group',
          group,
          '--type',
          Placed.name,
          '--since',
          since,
        ];
        await eventually(
          'the outbox table holds the 12 published events',
          async () => {
            const dry = io();
            return (
              (await main([...args, '--dry-run'], dry.io)) === 0 &&
              dry.out.join('').startsWith('would replay 12 events')
            );
          },
          30_000,
        );
        const run = io();
        expect(await main(args, run.io), run.err.join('')).toBe(0);
        expect(run.out.join('')).toMatch(new RegExp(`^replayed 12 of 12 events to group ${group} in \\d+\\.\\ds\\n$`));
        await eventually('the late group handled the 12 replayed orders', () => late.length === 12, 30_000);
        const byKey = (runs: typeof seen) =>
          [0, 1, 2].map((k) => runs.filter((r) => r.n % 3 === k).map((r) => `${r.n}:${r.id}`));
        expect(byKey(late)).toEqual(byKey(seen));

        // One more order live: once both groups have it, whatever the replay leaked to the live group came first.
        await producer.call(Place, { n: 13 });
        await eventually('both groups handled order 13', () => seen.length >= 13 && late.length >= 13, 30_000);
        expect(seen).toHaveLength(13);
        expect(late).toHaveLength(13);
      },
    );
  });
} else {
  describe('tandem replay: rabbitmq', () => {
    it.skip('needs RabbitMQ at 127.0.0.1:5672 and PostgreSQL at 127.0.0.1:5432 (see the warning above)', () =>
      undefined);
  });
}
