import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './main.js';
import { captureIo } from './io.fixture.js';

const fixture = fileURLToPath(new URL('./contracts.fixture.ts', import.meta.url));

const io = captureIo;

describe('tandem contracts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-contracts-'));
  const baseline = join(dir, 'contracts.baseline.json');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(...argv: string[]) {
    const r = io();
    const code = await main(['contracts', ...argv], r.io);
    return { code, out: r.out.join(''), err: r.err.join('') };
  }

  it('snapshots every contract with sorted keys, and the unchanged app checks clean', async () => {
    const snap = await run('snapshot', '--module', fixture, '--export', 'released', '--out', baseline);
    expect(snap).toMatchObject({ code: 0, out: `wrote ${baseline}: 1 commands and queries, 1 events\n` });
    const text = readFileSync(baseline, 'utf8');
    const file = JSON.parse(text) as { sync: Record<string, unknown>; events: Record<string, unknown> };
    expect(file.sync['orders.place']).toMatchObject({
      kind: 'command',
      route: { method: 'POST', path: '/commands/orders.place' },
    });
    expect(file.events['orders.placed']).toMatchObject({
      topic: 'orders.placed',
      version: 1,
      producers: ['orders'],
      consumers: [{ service: 'shipping', group: 'shipping' }],
    });
    expect(Object.keys(file)).toEqual(Object.keys(file).sort());
    expect(await run('check', '--module', fixture, '--export', 'released', '--baseline', baseline)).toEqual({
      code: 0,
      out: 'no changes: the app matches the baseline\n',
      err: '',
    });
  });

  it('passes safe changes with exit code 0 and fails a breaking one with 1, naming the contract, path and reason', async () => {
    const safe = await run('check', '--module', fixture, '--export', 'safeRelease', '--baseline', baseline);
    expect(safe.code).toBe(0);
    expect(safe.out).toContain('safe      command orders.place  input $.note: optional field added\n');
    const breaking = await run('check', '--module', fixture, '--export', 'breakingRelease', '--baseline', baseline);
    expect(breaking.code).toBe(1);
    expect(breaking.out.split('\n')).toContain(
      'BREAKING  event orders.placed  data $.email: required field added: messages old producers wrote fail to parse in the new consumers (shipping)',
    );
    expect(breaking.out).toContain('2 changes, 1 breaking');
    const json = await run(
      'check',
      '--module',
      fixture,
      '--export',
      'breakingRelease',
      '--baseline',
      baseline,
      '--json',
    );
    expect(json.code).toBe(1);
    const lines = json.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { breaking: boolean; where: string });
    expect(lines).toContainEqual(
      expect.objectContaining({ contract: 'event orders.placed', where: 'data $.email', breaking: true }),
    );
  });

  it('exits 2 with one line naming the flag and the fix on a usage mistake', async () => {
    const noBaseline = await run('check', '--module', fixture, '--export', 'released');
    expect(noBaseline.code).toBe(2);
    expect(noBaseline.err).toMatch(
      /^tandem: tandem contracts check: --baseline FILE is required \(the file 'tandem contracts snapshot --out FILE' wrote/,
    );
    expect(noBaseline.err.trim().split('\n')).toHaveLength(1);
    const missing = await run('check', '--module', fixture, '--baseline', join(dir, 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("does not exist; write it with 'tandem contracts snapshot --module FILE --out");
    writeFileSync(join(dir, 'other.json'), '{"openapi":"3.1.0"}');
    const other = await run(
      'check',
      '--module',
      fixture,
      '--export',
      'released',
      '--baseline',
      join(dir, 'other.json'),
    );
    expect(other).toMatchObject({ code: 2, err: expect.stringContaining('is not a tandem-contracts/1 baseline') });
    expect((await run('snapshot')).err).toMatch(/--module FILE is required/);
    expect((await run('snapshot', '--module', fixture, '--json')).err).toMatch(/--json belongs to the other action/);
    const noModule = await run('snapshot', '--module', join(dir, 'missing.js'));
    expect(noModule.code).toBe(2);
    expect(noModule.err).toContain('missing.js does not exist; compile your services first (npx tsc)');
    const noAction = await run();
    expect(noAction.code).toBe(2);
    expect(noAction.err).toMatch(/^tandem contracts: expected 'snapshot' or 'check'/);
  });
});
