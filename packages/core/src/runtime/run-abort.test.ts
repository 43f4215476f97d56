import { describe, expect, it } from 'vitest';
import { RunAbort } from './run-abort.js';

describe('RunAbort', () => {
  it('makes a signal that aborts later with the reason', () => {
    const run = new RunAbort();
    const signal = run.signal;
    expect(signal.aborted).toBe(false);
    run.abort('late');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('late');
  });

  it('remembers an abort that came before the signal was read', () => {
    const run = new RunAbort();
    run.abort('early');
    run.abort('ignored');
    expect(run.signal.aborted).toBe(true);
    expect(run.signal.reason).toBe('early');
  });

  it("follows a caller's signal, before and after its own signal exists", () => {
    const before = new AbortController();
    const first = new RunAbort();
    first.follow(before.signal);
    before.abort('caller left');
    expect(first.aborted).toBe(true);
    expect(first.signal.reason).toBe('caller left');

    const after = new AbortController();
    const second = new RunAbort();
    second.follow(after.signal);
    const signal = second.signal;
    after.abort('gone');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('gone');
  });
});

describe('RunAbort sources', () => {
  it('asks a cancellation source to listen only once the signal is read', () => {
    const run = new RunAbort();
    let cancel: ((reason: unknown) => void) | undefined;
    run.cancelledBy({ onCancel: (abort) => (cancel = abort) });
    expect(cancel).toBeUndefined();
    const signal = run.signal;
    expect(cancel).toBeDefined();
    cancel!('client left');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('client left');
  });

  it('hands a source registered after the read the abort at once', () => {
    const run = new RunAbort();
    const signal = run.signal;
    run.cancelledBy({ onCancel: (abort) => abort('already gone') });
    expect(signal.reason).toBe('already gone');
  });
});
