import { describe, expect, it } from 'vitest';
import { createKeyedRunner } from './keyed-runner.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('keyed runner', () => {
  it('keeps order per key and runs keys concurrently up to the bound', async () => {
    const runner = createKeyedRunner(3);
    const order = new Map<string, number[]>();
    let running = 0;
    let peak = 0;
    const tasks = [];
    for (let i = 0; i < 30; i++) {
      const key = `k${i % 5}`;
      tasks.push(
        runner.run(key, async () => {
          running++;
          peak = Math.max(peak, running);
          await tick(Math.random() * 4);
          order.set(key, [...(order.get(key) ?? []), i]);
          running--;
        }),
      );
    }
    await Promise.all(tasks);
    expect(peak).toBe(3);
    for (const seen of order.values()) expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(order.size).toBe(5);
    expect(runner.size).toBe(0);
  });

  it('passes results and errors through and keeps going after a failure', async () => {
    const runner = createKeyedRunner(1);
    await expect(
      runner.run('a', async () => {
        throw new Error('x');
      }),
    ).rejects.toThrow('x');
    expect(await runner.run('a', async () => 7)).toBe(7);
  });

  it('resolves idle() once everything queued has run', async () => {
    const runner = createKeyedRunner(2);
    let done = 0;
    for (let i = 0; i < 6; i++) void runner.run(String(i % 2), async () => (await tick(2), done++));
    await runner.idle();
    expect(done).toBe(6);
  });

  it('enqueue keeps order per key and the bound, and hands rejections and throws to onError', async () => {
    const runner = createKeyedRunner(2);
    const seen: number[] = [];
    const errors: unknown[] = [];
    let running = 0;
    let peak = 0;
    for (let i = 0; i < 8; i++) {
      runner.enqueue(
        'k',
        async () => {
          running++;
          peak = Math.max(peak, running);
          await tick(1);
          seen.push(i);
          running--;
          if (i === 3) throw new Error('rejected');
        },
        (error) => errors.push(error),
      );
      runner.enqueue(
        `other${i}`,
        () => {
          throw new Error('thrown');
        },
        (error) => errors.push(error),
      );
    }
    await runner.idle();
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(1);
    expect(errors.map((e) => (e as Error).message).sort()).toEqual([...Array(8).fill('thrown'), 'rejected'].sort());
    expect(runner.size).toBe(0);
  });

  it('enqueueCallback keeps order per key and the bound, whether a task finishes before or after it returns', async () => {
    const runner = createKeyedRunner(2);
    const order = new Map<string, number[]>();
    let running = 0;
    let peak = 0;
    for (let i = 0; i < 40; i++) {
      const key = `k${i % 3}`;
      runner.enqueueCallback(
        key,
        (finish) => {
          running++;
          peak = Math.max(peak, running);
          order.set(key, [...(order.get(key) ?? []), i]);
          const done = () => {
            running--;
            finish();
            finish(); // a second call is ignored
          };
          if (i % 2 === 0) done();
          else setTimeout(done, 1);
        },
        () => undefined,
      );
    }
    await runner.idle();
    expect(peak).toBe(2);
    for (const seen of order.values()) expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect([...order.values()].flat()).toHaveLength(40);
    expect(runner.size).toBe(0);
  });

  it('enqueueCallback hands a throw to onError and goes on with the key', async () => {
    const runner = createKeyedRunner(1);
    const errors: unknown[] = [];
    const ran: number[] = [];
    runner.enqueueCallback(
      'k',
      () => {
        throw new Error('thrown');
      },
      (error) => errors.push(error),
    );
    runner.enqueueCallback(
      'k',
      (finish) => (ran.push(1), finish()),
      () => undefined,
    );
    await runner.idle();
    expect(errors.map((e) => (e as Error).message)).toEqual(['thrown']);
    expect(ran).toEqual([1]);
    expect(runner.size).toBe(0);
  });

  it('refuses a concurrency that is not a positive integer', () => {
    expect(() => createKeyedRunner(0)).toThrow(RangeError);
  });
});
