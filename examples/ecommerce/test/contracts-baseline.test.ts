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
    data.properties.currency = { type: 'string' };
    data.required.push('currency');
    const [change] = checkContracts(before, current).filter((c) => c.breaking);
    expect(change).toMatchObject({ contract: 'event orders.placed', where: 'data $.currency', breaking: true });
    expect(change!.reason).toMatch(
      /^field removed: deployed consumers \(.*shipping.*\) reject what new producers write$/,
    );
  });
});
