import { describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.js';
import { UnknownTypes } from './unknown-types.js';

function reporter(intervalMs: number) {
  const lines: Array<Record<string, unknown>> = [];
  let now = 1_000_000;
  const types = new UnknownTypes(
    createLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) }),
    {},
    intervalMs,
    () => now,
  );
  return { lines, types, advance: (ms: number) => (now += ms) };
}

describe('UnknownTypes', () => {
  it('logs a type once per interval, then again with how many went unlogged', () => {
    const { lines, types, advance } = reporter(60_000);
    for (let i = 0; i < 1_000; i++) types.report({ type: 'billing.invoiced', id: String(i) }, 't');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', type: 'billing.invoiced', id: '0', unlogged: 0 });
    advance(59_999);
    types.report({ type: 'billing.invoiced', id: 'x' }, 't');
    expect(lines).toHaveLength(1);
    advance(1);
    types.report({ type: 'billing.invoiced', id: 'y' }, 't');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ type: 'billing.invoiced', id: 'y', unlogged: 1_000 });
  });

  it('remembers a bounded number of types: a flood of distinct ones shares one line per interval', () => {
    const { lines, types, advance } = reporter(60_000);
    for (let i = 0; i < 10_000; i++) types.report({ type: `t${i}`, id: String(i) }, 'topic');
    expect(lines).toHaveLength(257);
    expect(lines.at(-1)!.msg).toMatch(/more than 256 types/);
    advance(60_000);
    types.report({ type: 'fresh', id: 'f' }, 'topic');
    expect(lines.at(-1)).toMatchObject({ type: 'fresh' });
  });

  it('shortens long producer-chosen types', () => {
    const { lines, types } = reporter(60_000);
    types.report({ type: 'x'.repeat(100_000), id: 'y'.repeat(100_000) }, 'topic');
    expect(JSON.stringify(lines[0]).length).toBeLessThan(2_000);
  });
});
