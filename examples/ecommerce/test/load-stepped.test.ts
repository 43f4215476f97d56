/**
 * The stepped load on the in-process shop, two low steps: the report has both curves,
 * the breakdown and the CPU, and the accepted -> shipped measure saw every order shipped.
 * The latency bounds are set out of reach so that a loaded machine cannot fail a step:
 * this checks the measure, not the shop's speed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SteppedReport } from '../src/load/stepped.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

describe('the stepped load on the in-process shop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-load-test-'));
  beforeAll(() => {
    execFileSync(process.execPath, [
      join(root, 'node_modules/typescript/bin/tsc'),
      '-b',
      join(here, '..', 'tsconfig.build.json'),
    ]);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs two steps, sees every accepted order shipped, and reports the curves, the breakdown and the CPU', async () => {
    const json = join(dir, 'report.json');
    const child = spawn(
      process.execPath,
      [
        join(here, '..', 'dist', 'load.js'),
        ...[
          '--start-rate',
          '4',
          '--max-rate',
          '8',
          '--step-seconds',
          '1.5',
          '--warmup-seconds',
          '0',
          '--min-orders',
          '0',
        ],
        ...['--place-p99', '60000', '--shipped-p99', '60000', '--trace-sample', '5', '--json', json],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, err).toBe(0);

    const report = JSON.parse(readFileSync(json, 'utf8')) as SteppedReport;
    expect(report.steps.map((s) => s.rate)).toEqual([4, 8]);
    expect(report.sustainableRate).toBe(8);
    expect(report.reachedMax).toBe(true);
    for (const step of report.steps) {
      expect(step.due).toBe(step.rate * 1.5);
      expect(step.accepted).toBe(step.due);
      expect(step.place.count).toBe(step.due);
      // Every accepted order was seen shipped, each with its own latency.
      expect(step.notShipped).toBe(0);
      expect(step.shipped.count).toBe(step.accepted);
      expect(step.shipped.p50).toBeGreaterThan(0);
      expect(step.shipped.p99).toBeGreaterThanOrEqual(step.shipped.p50);
      expect(step.passed).toBe(true);
      expect(step.cpu.map((c) => c.process)).toEqual(['shop + load (one process)']);
      expect(step.cpu[0]!.msPerOrder).toBeGreaterThan(0);
      // The breakdown found the sampled orders' traces: the sync handler and the shipping consumer.
      expect(step.breakdown.complete).toBe(5);
      const steps = step.breakdown.rows.map((r) => `${r.phase} ${r.kind} ${r.step}`);
      expect(steps).toContain('sync handler POST /commands/orders.place');
      expect(steps).toContain('async handler process orders.placed [shipping]');
      expect(steps).toContain('async outbox orders.placed -> shipping');
    }
    expect(out).toMatch(/^orders\/s\s+verdict/m);
    expect(out).toContain('sustainable rate: 8 orders/s (the maximum asked');
    expect(out).toContain('where the time goes at the sustainable rate (8/s)');
  }, 120_000);
});
