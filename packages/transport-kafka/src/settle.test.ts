import {
  silentLogger,
  type Disposition,
  type DispositionCallback,
  type IncomingMessage,
  type MessageHandler,
} from '@tandem/core';
import { describe, expect, it } from 'vitest';
import { ConsumerHealth } from './consumer-health.js';
import { CrashGuard, partitionId } from './crash-guard.js';
import type { DispositionWriter } from './dispositions.js';
import { ExclusiveLane } from './exclusive-lane.js';
import { OffsetLedger } from './offset-ledger.js';
import type { ResolvedKafkaOptions } from './options.js';
import { Settler, type Delivery, type Generation } from './settle.js';

const ACK: Disposition = { kind: 'ack' };

function message(offset: string): IncomingMessage {
  return {
    topic: 't',
    headers: {},
    body: new Uint8Array(0),
    id: `id-${offset}`,
    attempt: 1,
    receivedAt: 0,
    origin: { topic: 't', partition: 0, offset },
  };
}

/** A handler with only the promise form: what a handler of a runtime older than the callback form offers. */
function promiseHandler(answer: (m: IncomingMessage) => Promise<Disposition>): MessageHandler {
  return (m) => answer(m);
}

/** A handler with the callback form; its promise form fails the test when used. */
function callbackHandler(deliver: (m: IncomingMessage, done: DispositionCallback) => void): MessageHandler {
  const handle = () => Promise.reject(new Error('the promise form was used'));
  return Object.assign(handle, { deliver });
}

async function settlerWith(handle: MessageHandler) {
  const ledger = new OffsetLedger();
  const guard: CrashGuard = new CrashGuard({
    instance: 'me',
    slack: 100,
    read: async () => [],
    unread: () => undefined,
    position: (topic, partition) => ledger.position(topic, partition),
    commit: async (entries) => guard.committed(entries),
  });
  const generation: Generation = { ledger, guard };
  const written: Array<[string, Disposition]> = [];
  const writer = {
    persist: async (_group: string, m: IncomingMessage, d: Disposition) => {
      written.push([m.id, d]);
      return { written: true };
    },
  } as unknown as DispositionWriter;
  const finished: Array<[string, boolean]> = [];
  const lane = new ExclusiveLane(10_000);
  const settler = new Settler({
    group: 'g',
    handle,
    options: { retryLevelsMs: [1_000], dispositionTimeoutMs: 1_000 } as ResolvedKafkaOptions,
    writer,
    lane,
    health: new ConsumerHealth(),
    log: silentLogger,
    abandoned: () => false,
    finished: (d, moved) => finished.push([d.slot.offset, moved]),
    handBack: () => undefined,
    ending: () => undefined,
    sharedAgain: () => undefined,
  });
  await guard.plan('t', 0, ['0', '1', '2'], '2');
  const tracker = ledger.tracker('t', 0);
  const delivery = (offset: string): Delivery => ({
    topic: 't',
    partition: 0,
    message: message(offset),
    slot: tracker.track(offset),
    generation,
    partitionId: partitionId('t', 0),
  });
  return { settler, ledger, lane, written, finished, delivery };
}

/** Resolves once `shared` called its `done`. */
function settled(settler: Settler, delivery: Delivery): Promise<void> {
  return new Promise((resolve) => settler.shared(delivery, resolve));
}

describe('Settler.shared', () => {
  it("answers through the handler's callback form, finishing the offset in the same turn once the mark covers it", async () => {
    const s = await settlerWith(callbackHandler((_m, done) => done(ACK)));
    // The first delivery waits for the partition's first mark.
    await settled(s.settler, s.delivery('0'));
    let done = false;
    s.settler.shared(s.delivery('1'), () => (done = true));
    expect(done).toBe(true);
    expect(s.finished).toEqual([
      ['0', true],
      ['1', true],
    ]);
    expect(s.ledger.position('t', 0)).toBe('2');
  });

  it('uses the promise form of a handler that has no callback form', async () => {
    const s = await settlerWith(promiseHandler(async () => ACK));
    await settled(s.settler, s.delivery('0'));
    expect(s.ledger.position('t', 0)).toBe('1');
  });

  it('writes a retry before the offset is done, and retries after a fault of the handler plumbing', async () => {
    const retry: Disposition = { kind: 'retry', delayMs: 5_000, attempt: 2 };
    const s = await settlerWith(
      callbackHandler((m, done) => (m.id === 'id-0' ? done(retry) : done(undefined, new Error('plumbing')))),
    );
    await settled(s.settler, s.delivery('0'));
    await settled(s.settler, s.delivery('1'));
    expect(s.written).toEqual([
      ['id-0', retry],
      ['id-1', { kind: 'retry', delayMs: 1_000, attempt: 2 }],
    ]);
    expect(s.ledger.position('t', 0)).toBe('2');
  });

  it('leaves the shared lane once the handler answered, whatever it answered', async () => {
    const answers: DispositionCallback[] = [];
    const s = await settlerWith(callbackHandler((_m, done) => answers.push(done)));
    const first = settled(s.settler, s.delivery('0'));
    await new Promise((resolve) => setTimeout(resolve, 0));
    let alone = false;
    void s.lane.enterAlone().then((leave) => {
      alone = true;
      leave();
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(alone).toBe(false);
    answers[0]!(undefined, new Error('plumbing'));
    await first;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(alone).toBe(true);
  });

  it('settles once when the handler answers twice', async () => {
    const s = await settlerWith(
      callbackHandler((_m, done) => {
        done(ACK);
        done({ kind: 'retry', delayMs: 0, attempt: 2 });
      }),
    );
    let calls = 0;
    await settled(s.settler, s.delivery('0'));
    s.settler.shared(s.delivery('1'), () => calls++);
    expect(calls).toBe(1);
    expect(s.written).toEqual([]);
  });
});
