/**
 * `app.replay()`: replay inside a running app, from its broker's history (Kafka) or its
 * store's outbox (every other broker), to one of its consumer groups or another app's.
 * The in-process broker's groups live in the app's process, so this (or the admin route
 * that calls it, `tandem replay --app URL`) is how they get a replay.
 */
import { ConfigError } from '../errors/errors.js';
import type { EventContract } from '../contracts/contracts.js';
import type { Registry } from '../runtime/registry.js';
import type { Store } from '../stores/store.js';
import type { BrokerTransport } from '../transport/broker.js';
import { outboxHistoryOf, type EventHistory, type GroupDelivery } from './history.js';
import { replay, type ReplayOptions, type ReplayResult } from './replay.js';

/** What `app.replay()` takes: times as Date or ms, topics found from the app's contracts. */
export interface AppReplayOptions extends Omit<ReplayOptions, 'topics' | 'since' | 'until'> {
  since: Date | number;
  /** Default: now. */
  until?: Date | number;
  /** Where the types are published; default: each type's contract topic where this app knows it, else the type. */
  topics?: readonly string[];
  /** Where to read from: the broker's own history (Kafka) or the outbox. Default: the broker's when it keeps one. */
  from?: 'broker' | 'outbox';
}

/** The history a replay reads: the broker's log when it keeps one (and `from` allows), else the outbox's retained rows. */
export function historyFor(
  broker: BrokerTransport,
  store: Store | undefined,
  from: 'broker' | 'outbox' | undefined,
): EventHistory {
  const outbox = outboxHistoryOf(store?.outbox);
  if (from !== 'outbox' && broker.history) return broker.history;
  if (from === 'broker')
    throw new ConfigError(
      `replay --from broker: the ${broker.name} broker keeps no history of published events; replay from the outbox (--from outbox)`,
    );
  if (outbox) return outbox;
  throw new ConfigError(
    `replay: nothing to read past events from: the ${broker.name} broker keeps no history and ` +
      (store
        ? `the ${store.name} store keeps no published outbox rows`
        : 'this app has no store; give it one with an outbox (postgresStore, memoryStore)') +
      ` (see docs/evolution.md, Replay)`,
  );
}

/** The broker's delivery to one group, or a ConfigError naming the broker that lacks it. */
export function deliveryOf(broker: BrokerTransport): GroupDelivery {
  if (!broker.deliverTo)
    throw new ConfigError(`replay: the ${broker.name} transport cannot deliver to one consumer group`);
  return { deliverTo: (group, events) => broker.deliverTo!(group, events) };
}

/** The event contracts an app's groups consume, by name: where each type is published. */
export function consumedContracts(registry: Registry): Map<string, EventContract> {
  const contracts = new Map<string, EventContract>();
  for (const group of registry.groups.values())
    for (const handler of group.handlers.values())
      contracts.set(handler.contract.name, handler.contract as EventContract);
  return contracts;
}

function time(value: Date | number, name: string): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (!Number.isFinite(ms)) throw new ConfigError(`replay: ${name} is not a valid time`);
  return ms;
}

/** Runs a replay with the app's broker and store. */
export function appReplay(
  broker: BrokerTransport,
  store: Store | undefined,
  contracts: ReadonlyMap<string, EventContract>,
  options: AppReplayOptions,
): Promise<ReplayResult> {
  const { from, since, until, topics, ...rest } = options;
  const resolved: ReplayOptions = {
    ...rest,
    since: time(since, 'since'),
    until: time(until ?? Date.now(), 'until'),
    topics: topics ?? [...new Set(options.types.map((type) => contracts.get(type)?.topic ?? type))],
  };
  return replay(historyFor(broker, store, from), deliveryOf(broker), resolved);
}
