import { describe, expect, it } from 'vitest';
import { InFlight } from './in-flight.js';
import { RunAbort } from './run-abort.js';

/** A run that stays open until `finish` is called. */
function openRun(inFlight: InFlight) {
  const controller = new RunAbort();
  inFlight.enter(controller);
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve)).then(() => inFlight.leave(controller));
  return { controller, done, finish: () => finish() };
}

describe('InFlight', () => {
  it('counts runs until they settle and wakes drain() when the last one does', async () => {
    const inFlight = new InFlight();
    const a = openRun(inFlight);
    const b = openRun(inFlight);
    expect(inFlight.size).toBe(2);
    const drained = inFlight.drain(5_000);
    a.finish();
    await a.done;
    expect(inFlight.size).toBe(1);
    b.finish();
    expect(await drained).toBe(true);
    expect(inFlight.size).toBe(0);
  });

  it('drain() answers false when the deadline passes first', async () => {
    const inFlight = new InFlight();
    const run = openRun(inFlight);
    expect(await inFlight.drain(20)).toBe(false);
    run.finish();
    await run.done;
  });

  it('abortAll() aborts signals already read, and signals read afterwards start aborted', async () => {
    const inFlight = new InFlight();
    const early = openRun(inFlight);
    const late = openRun(inFlight);
    const earlySignal = early.controller.signal;
    inFlight.abortAll('deadline passed');
    expect(earlySignal.aborted).toBe(true);
    expect(earlySignal.reason).toBe('deadline passed');
    const lateSignal = late.controller.signal;
    expect(lateSignal.aborted).toBe(true);
    expect(lateSignal.reason).toBe('deadline passed');
    early.finish();
    late.finish();
    await Promise.all([early.done, late.done]);
  });

  it('tells a run whose abort something reacts to after abortAll() at once', () => {
    const inFlight = new InFlight();
    inFlight.abortAll('stopping');
    const listened = new RunAbort();
    inFlight.enter(listened);
    const heard: unknown[] = [];
    listened.onAbort((reason) => heard.push(reason));
    const ended = new RunAbort();
    inFlight.enter(ended);
    ended.endOnAbort((reason) => heard.push(`ended: ${String(reason)}`));
    expect(heard).toEqual(['stopping', 'ended: stopping']);
  });

  it('abortAll() reaches every watched run, also when ending one makes it leave', () => {
    const inFlight = new InFlight();
    const runs = [new RunAbort(), new RunAbort(), new RunAbort(), new RunAbort()];
    const ended: number[] = [];
    runs.forEach((run, i) => {
      inFlight.enter(run);
      // The runtime's end of a run leaves the in-flight count at once, as a direct event run does.
      if (i !== 2)
        run.endOnAbort(() => {
          ended.push(i);
          inFlight.leave(run);
        });
    });
    // Finished before the stop: no longer in flight, so not aborted.
    inFlight.leave(runs[1]!);
    inFlight.abortAll('deadline passed');
    expect(ended).toEqual([0, 3]);
    expect(runs[2]!.aborted).toBe(false);
    expect(inFlight.size).toBe(1);
  });
});
