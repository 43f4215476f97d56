import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkContracts, contractsSnapshot, describeApp, type ContractsSnapshot } from '@tandem/core';
import { services } from '../src/services/index.js';

/**
 * The compatibility gate in CI: the shop's contracts against the baseline it committed
 * (contracts.baseline.json, written by `npm run example:contracts`). A breaking change fails
 * here with the change named; a safe one passes, and the baseline is refreshed on purpose.
 */
const baseline = JSON.parse(
  readFileSync(new URL('../contracts.baseline.json', import.meta.url), 'utf8'),
) as ContractsSnapshot;

describe("the shop's contracts against its committed baseline", () => {
  const current = contractsSnapshot(describeApp(services));

  it('has no breaking change', () => {
    const breaking = checkContracts(baseline, current).filter((c) => c.breaking);
    expect(breaking.map((c) => `${c.contract} ${c.where}: ${c.reason}`)).toEqual([]);
  });

  it('would fail if orders.placed lost a field its consumers read', () => {
    // As if the baseline had one more required field than the code now writes.
    const before = structuredClone(baseline);
    const data = before.events['orders.placed']!.data as { properties: Record<string, unknown>; required: string[] };
    data.properties.channel = { type: 'string' };
    data.required.push('channel');
    const [change] = checkContracts(before, current).filter((c) => c.breaking);
    expect(change).toMatchObject({ contract: 'event orders.placed', where: 'data $.channel', breaking: true });
    expect(change!.reason).toMatch(
      /^field removed: deployed consumers \(.*shipping.*\) reject what new producers write$/,
    );
  });

  it('takes version 2 of orders.placed as safe only because it declares an upcaster from version 1', () => {
    // As if the baseline were still at version 1, the shape before the currency was added.
    const before = structuredClone(baseline);
    const placed = before.events['orders.placed']!;
    placed.version = 1;
    placed.upcastsFrom = [];
    placed.data = current.events['orders.placed']!.upcasterData['1']!;
    const changes = checkContracts(before, current).filter((c) => c.contract === 'event orders.placed');
    expect(changes.filter((c) => c.breaking)).toEqual([]);
    expect(changes).toContainEqual(
      expect.objectContaining({ where: 'version', reason: 'version 1 → 2, with an upcaster from version 1' }),
    );
    expect(changes).toContainEqual(
      expect.objectContaining({
        where: 'data $.currency',
        reason: expect.stringContaining('version-1 data is upcast'),
      }),
    );
    // The same bump without the upcaster would strand every version-1 message in flight.
    const withoutUpcaster = structuredClone(current);
    withoutUpcaster.events['orders.placed']!.upcastsFrom = [];
    const [stranded] = checkContracts(before, withoutUpcaster).filter((c) => c.breaking);
    expect(stranded).toMatchObject({ contract: 'event orders.placed', where: 'version', breaking: true });
    expect(stranded!.reason).toMatch(/without an upcaster from version 1/);
  });
});
