/**
 * Compares an app's contracts with a baseline, from the point of view of what is deployed
 * while a change rolls out:
 *
 * - event data is written by producers and read by consumers, both ways at once: messages
 *   of old producers are still in flight when new consumers read them, and new producers
 *   write to consumers not yet redeployed. A data change is safe when both still parse,
 *   or when the version is bumped and the contract declares an upcaster from the old one;
 * - a command or query input is written by deployed callers and read by the new service,
 *   which upcasts the input of an older version it declares (sync-input.ts);
 * - its output is written by the new service and read by deployed callers.
 *
 * Removing a contract, a route or a topic is breaking; adding one is safe.
 */
import { diffSchemas, type Directions, type SchemaChange } from './schema-diff.js';
import type { ContractsSnapshot, EventSnapshot, SyncSnapshot } from './snapshot.js';
import { inputChanges } from './sync-input.js';

/** One difference between the baseline and the app, with its verdict and why. */
export interface ContractChange {
  /** `command orders.place`, `event orders.placed`. */
  contract: string;
  /** Where: `route`, `topic`, `version`, `input $.items[].sku`, `data $.email`, ... */
  where: string;
  breaking: boolean;
  reason: string;
}

const outputDirections: Directions = {
  oldToNew: false,
  newToOld: true,
  oldToNewHarm: '',
  newToOldHarm: 'deployed callers reject what the service now answers',
};

function eventDirections(before: EventSnapshot, after: EventSnapshot): Directions {
  const list = (names: string[]) => (names.length > 0 ? ` (${names.join(', ')})` : '');
  return {
    oldToNew: true,
    newToOld: true,
    oldToNewHarm: `messages old producers wrote fail to parse in the new consumers${list(after.consumers.map((c) => c.group))}`,
    newToOldHarm: `deployed consumers${list(before.consumers.map((c) => c.group))} reject what new producers write`,
  };
}

/** Every difference between a baseline and the current snapshot of an app, breaking ones included. */
export function checkContracts(baseline: ContractsSnapshot, current: ContractsSnapshot): ContractChange[] {
  const changes: ContractChange[] = [];
  for (const name of names(baseline.sync, current.sync)) {
    const [before, after] = [baseline.sync[name], current.sync[name]];
    if (before && after) changes.push(...syncChanges(name, before, after));
    else if (before)
      changes.push({
        contract: `${before.kind} ${name}`,
        where: 'contract',
        breaking: true,
        reason: `${before.kind} removed: deployed callers of ${before.route.method} ${before.route.path} get 404`,
      });
    else
      changes.push({
        contract: `${after!.kind} ${name}`,
        where: 'contract',
        breaking: false,
        reason: `${after!.kind} added`,
      });
  }
  for (const name of names(baseline.events, current.events)) {
    const [before, after] = [baseline.events[name], current.events[name]];
    const contract = `event ${name}`;
    if (before && after) changes.push(...eventChanges(contract, before, after));
    else if (before) {
      const groups = before.consumers.map((c) => c.group).join(', ') || 'none';
      const reason = `event removed: its consumer groups (${groups}) get no more messages, and its producers' code no longer compiles`;
      changes.push({ contract, where: 'contract', breaking: true, reason });
    } else changes.push({ contract, where: 'contract', breaking: false, reason: 'event added' });
  }
  return changes;
}

function names(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

function located(contract: string, where: string, list: SchemaChange[]): ContractChange[] {
  return list.map((c) => ({ contract, where: `${where} ${c.path}`, breaking: c.breaking, reason: c.reason }));
}

function syncChanges(name: string, before: SyncSnapshot, after: SyncSnapshot): ContractChange[] {
  const contract = `${after.kind} ${name}`;
  const changes: ContractChange[] = [];
  if (before.kind !== after.kind)
    changes.push({ contract, where: 'kind', breaking: true, reason: `${before.kind} became a ${after.kind}` });
  const [r1, r2] = [`${before.route.method} ${before.route.path}`, `${after.route.method} ${after.route.path}`];
  if (r1 !== r2)
    changes.push({
      contract,
      where: 'route',
      breaking: true,
      reason: `route changed from ${r1} to ${r2}: deployed callers get 404`,
    });
  if (before.service !== after.service)
    changes.push({
      contract,
      where: 'service',
      breaking: false,
      reason: `served by ${after.service} (was ${before.service})`,
    });
  if (before.description !== after.description)
    changes.push({ contract, where: 'description', breaking: false, reason: 'description changed' });
  changes.push(...inputChanges(contract, before, after));
  changes.push(...located(contract, 'output', diffSchemas(before.output, after.output, outputDirections)));
  return changes;
}

function eventChanges(contract: string, before: EventSnapshot, after: EventSnapshot): ContractChange[] {
  const changes: ContractChange[] = [];
  if (before.topic !== after.topic) {
    const reason = `topic changed from ${before.topic} to ${after.topic}: consumers subscribed to ${before.topic} miss what is published`;
    changes.push({ contract, where: 'topic', breaking: true, reason });
  }
  if (before.description !== after.description)
    changes.push({ contract, where: 'description', breaking: false, reason: 'description changed' });
  changes.push(...usersChanges(contract, before, after));
  if (before.version === after.version) {
    return [
      ...changes,
      ...located(contract, 'data', diffSchemas(before.data, after.data, eventDirections(before, after))),
    ];
  }
  const bump = `version ${before.version} → ${after.version}`;
  if (after.version < before.version) {
    changes.push({ contract, where: 'version', breaking: true, reason: `${bump}: a version never goes back` });
    return changes;
  }
  if (!after.upcastsFrom.includes(before.version)) {
    const reason = `${bump} without an upcaster from version ${before.version}: messages at version ${before.version} in flight cannot be read; declare from: { ${before.version}: { data, upcast } }`;
    changes.push({ contract, where: 'version', breaking: true, reason });
    const all = { ...eventDirections(before, after), oldToNew: true, newToOld: true };
    return [...changes, ...located(contract, 'data', diffSchemas(before.data, after.data, all))];
  }
  changes.push({
    contract,
    where: 'version',
    breaking: false,
    reason: `${bump}, with an upcaster from version ${before.version}`,
  });
  // The upcaster reads what old producers wrote: its declared schema must accept the old data.
  const upcasterData = after.upcasterData[String(before.version)];
  if (upcasterData) {
    const harm = `the upcaster from version ${before.version} rejects what version-${before.version} producers wrote`;
    const directions: Directions = { oldToNew: true, newToOld: false, oldToNewHarm: harm, newToOldHarm: '' };
    changes.push(
      ...located(contract, `upcaster ${before.version} data`, diffSchemas(before.data, upcasterData, directions)),
    );
  }
  const upcast = `safe: version-${before.version} data is upcast`;
  for (const c of diffSchemas(before.data, after.data, {
    ...eventDirections(before, after),
    oldToNew: false,
    newToOld: false,
  }))
    changes.push({ contract, where: `data ${c.path}`, breaking: false, reason: `${c.reason} (${upcast})` });
  return changes;
}

function usersChanges(contract: string, before: EventSnapshot, after: EventSnapshot): ContractChange[] {
  const changes: ContractChange[] = [];
  const diff = (label: string, a: string[], b: string[]) => {
    for (const x of b.filter((v) => !a.includes(v)))
      changes.push({ contract, where: label, breaking: false, reason: `${label} added: ${x}` });
    for (const x of a.filter((v) => !b.includes(v)))
      changes.push({ contract, where: label, breaking: false, reason: `${label} removed: ${x}` });
  };
  diff('producer', before.producers, after.producers);
  const group = (c: { service: string; group: string }) => `${c.group} (service ${c.service})`;
  diff('consumer group', before.consumers.map(group), after.consumers.map(group));
  return changes;
}
