import { afterEach, describe, expect, it, vi } from 'vitest';
import { PartitionGate } from './partition-gate.js';

function recordingConsumer() {
  const calls: string[] = [];
  const log = (what: string) => (tps: Array<{ topic: string; partitions?: number[] }>) => {
    for (const { topic, partitions } of tps) calls.push(`${what} ${topic}/${partitions?.join(',')}`);
  };
  return { calls, consumer: { pause: log('pause'), resume: log('resume') } };
}

describe('PartitionGate', () => {
  afterEach(() => vi.useRealTimers());

  it('holds a partition until its record is due, then resumes it', () => {
    vi.useFakeTimers({ now: 1_000 });
    const { calls, consumer } = recordingConsumer();
    const gate = new PartitionGate(consumer);
    gate.holdUntil('retry', 2, 1_500);
    gate.holdUntil('retry', 2, 1_900); // already held: one pause, one timer
    expect(calls).toEqual(['pause retry/2']);
    vi.advanceTimersByTime(499);
    expect(calls).toEqual(['pause retry/2']);
    vi.advanceTimersByTime(1);
    expect(calls).toEqual(['pause retry/2', 'resume retry/2']);
  });

  it('resumes only when neither a hold nor a rejoin is left', () => {
    vi.useFakeTimers({ now: 0 });
    const { calls, consumer } = recordingConsumer();
    const gate = new PartitionGate(consumer);
    gate.holdUntil('retry', 0, 100);
    gate.pauseUntilRejoin('retry', 0);
    gate.pauseUntilRejoin('events', 1);
    gate.rejoined();
    expect(calls).toEqual(['pause retry/0', 'pause events/1', 'resume events/1']);
    vi.advanceTimersByTime(100);
    expect(calls.at(-1)).toBe('resume retry/0');
  });

  it('resumes nothing after close', () => {
    vi.useFakeTimers({ now: 0 });
    const { calls, consumer } = recordingConsumer();
    const gate = new PartitionGate(consumer);
    gate.holdUntil('retry', 0, 100);
    gate.close();
    vi.advanceTimersByTime(200);
    gate.rejoined();
    expect(calls).toEqual(['pause retry/0']);
  });

  it('holds a partition until unhold, and only then resumes it', () => {
    const { calls, consumer } = recordingConsumer();
    const gate = new PartitionGate(consumer);
    gate.hold('events', 0);
    gate.pauseUntilRejoin('events', 0);
    gate.rejoined();
    expect(calls).toEqual(['pause events/0']);
    gate.unhold('events', 0);
    expect(calls).toEqual(['pause events/0', 'resume events/0']);
    gate.hold('events', 1);
    gate.holdUntil('events', 2, Date.now() + 60_000);
    gate.hold('events', 2);
    gate.unholdAll();
    expect(calls.slice(2)).toEqual(['pause events/1', 'pause events/2', 'resume events/1']);
    gate.close();
  });
});
