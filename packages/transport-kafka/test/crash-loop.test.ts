/**
 * A message whose handler exits the process: a supervisor restarts the consumer process
 * each time, as an orchestrator would. The count of deliveries that never settled is kept
 * in the group's committed offsets (crash-guard.ts), so after the app's crashLoopLimit
 * crashes the message is dead-lettered with reason `crash-loop`, and every other message,
 * before and after it in its partition and in the other partition, is handled: none of them
 * is charged with the crashes (the process handles 8 keys at once).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createApp, defineEvent, silentLogger } from '@tandem/core';
import { eventually, uniqueName } from '@tandem/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bundleFixture, mockTransport, startBroker } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());

const LIMIT = 2;

describe.skipIf(!broker)('a message that crashes its consumer process', () => {
  let script: string;
  beforeAll(async () => {
    script = await bundleFixture('crash-loop-process');
  });

  it(
    `is dead-lettered as crash-loop after crashLoopLimit (${LIMIT}) crashes; the rest of its partition is handled`,
    {
      timeout: 120_000,
    },
    async () => {
      const suffix = uniqueName('x').slice(2);
      const topic = `crashloop.placed-${suffix}`;
      const group = `shipping-${suffix}`;
      await broker!.createTopic(`${topic}:2`);
      const Placed = defineEvent(topic, { data: z.object({ n: z.number() }) });
      const { transport } = mockTransport(broker!);
      const publisher = createApp({ broker: transport, logger: silentLogger });
      await publisher.start();
      const total = 80;
      const poison = 20;
      for (let n = 0; n < total; n++) await publisher.publish(Placed, { n }, { key: `order-${n}` });

      const handled = new Set<number>();
      const exits: Array<number | null> = [];
      let poisonRuns = 0;
      let current: ChildProcess | undefined;
      let stopping = false;
      const env = {
        ...process.env,
        BOOTSTRAP: broker!.bootstrap,
        TOPIC: topic,
        GROUP: group,
        POISON: String(poison),
        CRASH_LOOP_LIMIT: String(LIMIT),
      };
      const supervise = () => {
        const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
        current = child;
        createInterface({ input: child.stdout! }).on('line', (line) => {
          if (line === 'poison') poisonRuns++;
          else if (line.startsWith('handled ')) handled.add(Number(line.slice('handled '.length)));
        });
        child.once('exit', (code) => {
          exits.push(code);
          if (!stopping) supervise();
        });
      };
      const started = Date.now();
      supervise();
      try {
        let letters: Awaited<ReturnType<typeof transport.deadLetters.list>> = [];
        await eventually(
          'the poison message is dead-lettered',
          async () => {
            letters = await transport.deadLetters.list(group);
            return letters.length > 0;
          },
          90_000,
          250,
        );
        await eventually('every other message handled', () => handled.size === total - 1, 20_000);
        console.log(
          `[kafka crash-loop test] ${poisonRuns} crashes on the poison message, process exits ${JSON.stringify(exits)}, dead-lettered after ${Date.now() - started} ms`,
        );
        expect(letters).toHaveLength(1);
        expect(letters[0]).toMatchObject({ reason: 'crash-loop', group, origin: { topic } });
        expect(JSON.parse(new TextDecoder().decode(letters[0]!.message.body))).toEqual({ n: poison });
        // Its first crash happens with other messages in flight; the next process hands the
        // marked records out one at a time, and its crash there is charged with the first one.
        expect(poisonRuns).toBe(LIMIT);
        expect(exits).toEqual(Array.from({ length: LIMIT }, () => 1));
        expect([...handled].sort((a, b) => a - b)).toEqual(
          Array.from({ length: total }, (_, n) => n).filter((n) => n !== poison),
        );
      } finally {
        stopping = true;
        if (current && current.exitCode === null) {
          const exited = new Promise((resolve) => current!.once('exit', resolve));
          current.kill('SIGTERM');
          await exited;
        }
        await publisher.stop();
      }
    },
  );
});
