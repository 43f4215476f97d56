import { fromEnv } from '@tandem/core';
import { conformanceMessage, eventually, sleep, uniqueName } from '@tandem/core/testing';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { startBroker } from './support.js';

const broker = await startBroker([], 2); // two brokers, so the URL lists several hosts
afterAll(() => broker?.stop());

const FETCH = 1;
const INVALID_REQUEST = 42;

describe.skipIf(!broker)('kafka:// through fromEnv()', () => {
  it(
    'builds a working Kafka transport from TANDEM_BROKER_URL listing several brokers',
    { timeout: 30_000 },
    async () => {
      const url = `kafka://${broker!.bootstrap}?createTopics=false&idempotent=false`;
      expect(url).toMatch(/^kafka:\/\/[^,/?]+,[^,/?]+\?/);
      const { broker: transport } = await fromEnv({ TANDEM_BROKER_URL: url });
      expect(transport.name).toBe('kafka');
      await transport.connect();
      try {
        const topic = uniqueName('env.orders');
        await broker!.createTopic(`${topic}:3`);
        const got: string[] = [];
        const subscription = await transport.subscribe(
          { topics: [topic], group: uniqueName('g-env'), concurrency: 2 },
          async (m) => (got.push(m.id), { kind: 'ack' }),
        );
        await subscription.ready;
        const message = conformanceMessage(topic, { n: 1 }, { key: 'k' });
        await transport.publish([message]);
        await eventually('the message arrives', () => got.length === 1);
        expect(got).toEqual([message.headers['ce-id']]);
      } finally {
        await transport.close();
      }
    },
  );

  describe('logging', () => {
    const level = process.env.TANDEM_LOG_LEVEL;
    afterEach(() => {
      vi.restoreAllMocks();
      if (level === undefined) delete process.env.TANDEM_LOG_LEVEL;
      else process.env.TANDEM_LOG_LEVEL = level;
    });

    it(
      'logs at the app level (TANDEM_LOG_LEVEL) to stdout, like the other transports',
      { timeout: 60_000 },
      async () => {
        process.env.TANDEM_LOG_LEVEL = 'info';
        const lines: Array<Record<string, unknown>> = [];
        const write = process.stdout.write.bind(process.stdout) as (chunk: string | Uint8Array) => boolean;
        vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
          const text = String(chunk);
          if (!text.startsWith('{') || !text.includes('"kafka"')) return write(chunk);
          lines.push(JSON.parse(text) as Record<string, unknown>);
          return true;
        });
        const { broker: transport } = await fromEnv({
          TANDEM_BROKER_URL: `kafka://${broker!.bootstrap}?createTopics=false&idempotent=false`,
        });
        await transport.connect();
        try {
          const topic = uniqueName('env.logged');
          await broker!.createTopic(`${topic}:1`);
          const subscription = await transport.subscribe(
            { topics: [topic], group: uniqueName('g-env-log'), concurrency: 1 },
            async () => ({ kind: 'ack' }),
          );
          await subscription.ready;
          await broker!.failNextRequests(FETCH, [INVALID_REQUEST]);
          await eventually('the consumer crash is logged', () => lines.some((l) => l.level === 'error'), 10_000);
          expect(lines.find((l) => l.level === 'error')).toMatchObject({ transport: 'kafka' });
          expect(lines.some((l) => l.level === 'debug')).toBe(false);
        } finally {
          await transport.close();
        }
      },
    );

    it("takes the level from the env fromEnv was given, not from the process's", { timeout: 60_000 }, async () => {
      process.env.TANDEM_LOG_LEVEL = 'info';
      const lines: string[] = [];
      const write = process.stdout.write.bind(process.stdout) as (chunk: string | Uint8Array) => boolean;
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        const text = String(chunk);
        if (!text.startsWith('{') || !text.includes('"kafka"')) return write(chunk);
        lines.push(text);
        return true;
      });
      const { broker: transport } = await fromEnv({
        TANDEM_BROKER_URL: `kafka://${broker!.bootstrap}?createTopics=false&idempotent=false`,
        TANDEM_LOG_LEVEL: 'silent',
      });
      await transport.connect();
      try {
        const topic = uniqueName('env.silent');
        await broker!.createTopic(`${topic}:1`);
        const subscription = await transport.subscribe(
          { topics: [topic], group: uniqueName('g-env-silent'), concurrency: 1 },
          async () => ({ kind: 'ack' }),
        );
        await subscription.ready;
        await broker!.failNextRequests(FETCH, [INVALID_REQUEST]);
        // The crash the other test sees logged: here it is seen through health only.
        await eventually('the consumer crashed', () => transport.health?.().ok === false, 10_000);
        await sleep(300);
        expect(lines).toEqual([]);
      } finally {
        await transport.close();
      }
    });
  });
});
