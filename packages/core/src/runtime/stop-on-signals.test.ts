import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { stopOnSignals } from './stop-on-signals.js';

function fakeProcess() {
  const emitter = new EventEmitter();
  const exit = vi.fn();
  return { proc: { once: emitter.once.bind(emitter), off: emitter.off.bind(emitter), exit } as never, emitter, exit };
}

describe('stopOnSignals', () => {
  it('stops the app on SIGTERM, then exits 0', async () => {
    const { proc, emitter, exit } = fakeProcess();
    const stop = vi.fn(async () => undefined);
    stopOnSignals({ stop }, { process: proc });
    emitter.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
    expect(stop).toHaveBeenCalledTimes(1);
  });

  it('exits 1 when stop fails, and at once with 130 on a second signal', async () => {
    const { proc, emitter, exit } = fakeProcess();
    let fail!: (error: Error) => void;
    const stop = vi.fn(() => new Promise<void>((_resolve, reject) => (fail = reject)));
    stopOnSignals({ stop }, { process: proc });
    emitter.emit('SIGINT', 'SIGINT');
    emitter.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledWith(130);
    fail(new Error('broker gone'));
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(1));
    expect(stop).toHaveBeenCalledTimes(1);
  });

  it('removes its listeners when disposed', () => {
    const { proc, emitter } = fakeProcess();
    const dispose = stopOnSignals({ stop: async () => undefined }, { process: proc, exit: false });
    expect(emitter.listenerCount('SIGTERM')).toBe(1);
    dispose();
    expect(emitter.listenerCount('SIGTERM')).toBe(0);
    expect(emitter.listenerCount('SIGINT')).toBe(0);
  });
});
