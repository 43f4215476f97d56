/**
 * A consumer process is killed with SIGKILL mid-stream (nothing closes, nothing commits)
 * and started again in the same group: every message is handled, and the messages the
 * dead process had handled but not yet committed are handled again (at-least-once).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { conformanceMessage, eventually, uniqueName } from '@tandem/core/testing';
import { Header } from '@tandem/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFixture, mockTransport, startBroker } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());

interface ConsumerProcess {
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<unknown>;
}

function startConsumer(script: string, env: Record<string, string>, onHandled: (id: string) => void): ConsumerProcess {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) =>
      reject(new Error(`consumer process exited (${signal ?? code}) before it was ready`)),
    );
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'ready') resolve();
      else if (line.startsWith('handled ')) onHandled(line.slice('handled '.length));
    });
  });
  return { child, ready, exited };
}

describe.skipIf(!broker)('consumer process killed mid-stream (SIGKILL) and restarted', () => {
  let script: string;
  beforeAll(async () => {
    script = await bundleFixture('consumer-process');
  });

  it('loses nothing; the uncommitted tail is redelivered', { timeout: 120_000 }, async () => {
    const topic = uniqueName('kill.orders');
    const group = uniqueName('g-kill');
    await broker!.createTopic(`${topic}:3`);
    const { transport } = mockTransport(broker!);
    await transport.connect();
    const total = 3_000;
    const sent = Array.from({ length: total }, (_, n) =>
      conformanceMessage(topic, { n }, { key: `customer-${n % 30}` }),
    );
    for (let i = 0; i < total; i += 500) await transport.publish(sent.slice(i, i + 500));
    await transport.close();

    const handled: string[] = [];
    const env = { BOOTSTRAP: broker!.bootstrap, TOPIC: topic, GROUP: group };
    const first = startConsumer(script, env, (id) => handled.push(id));
    await first.ready;
    await eventually('the first process handled 600', () => handled.length >= 600, 30_000, 1);
    first.child.kill('SIGKILL');
    await first.exited;
    const beforeKill = handled.length;
    expect(beforeKill).toBeLessThan(total); // killed mid-stream

    const second = startConsumer(script, env, (id) => handled.push(id));
    try {
      await second.ready;
      const ids = sent.map((m) => m.headers[Header.id]!);
      await eventually('every message handled', () => new Set(handled).size >= total, 60_000);
      const unique = new Set(handled);
      expect(ids.filter((id) => !unique.has(id))).toEqual([]);
      const redelivered = handled.length - unique.size;
      console.log(
        `[kafka kill test] ${total} messages; first process handled ${beforeKill} before SIGKILL; ${redelivered} were handled again after the restart; none lost`,
      );
      // Only what the dead process had handled can come again, and it had committed some of it.
      expect(redelivered).toBeLessThan(beforeKill);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
