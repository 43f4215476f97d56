/**
 * Names of the objects Tandem declares on RabbitMQ, and the delay levels.
 *
 * Each kind of object has its own namespace under the prefix (`<prefix>.group.`,
 * `<prefix>.delay.`, `<prefix>.dlq.`, `<prefix>.runs.`), so no group name can make one object's name
 * collide with another's. Names are functions of the group so an operator can predict
 * them; every one can be overridden.
 */
import { ConfigError } from '@tandem/core';

/** The names of the exchange and queues Tandem declares; each can be overridden in the options. */
export interface TopologyNames {
  /** The topic exchange every event is published to, with its topic as the routing key. */
  exchange: string;
  /** The durable queue of a consumer group, bound to the exchange by topic. */
  groupQueue(group: string): string;
  /** A delay queue of a group: messages wait `delayMs` there, then go back to the group queue. */
  delayQueue(group: string, delayMs: number): string;
  /** The group's dead-letter queue. */
  deadLetterQueue(group: string): string;
  /**
   * The small queue that counts runs of one redelivered message that started and never
   * ended (see run-ledger.ts); it exists only while such a run is unresolved.
   */
  runLedger(group: string, messageId: string): string;
}

/**
 * The names Tandem uses under `prefix`: `<prefix>.events`, `<prefix>.group.<g>`,
 * `<prefix>.delay.<g>.<level>`, `<prefix>.dlq.<g>`, `<prefix>.runs.<g>.<message id>`.
 */
export function defaultNames(prefix = 'tandem'): TopologyNames {
  return {
    exchange: `${prefix}.events`,
    groupQueue: (group) => `${prefix}.group.${group}`,
    delayQueue: (group, delayMs) => `${prefix}.delay.${group}.${formatDelay(delayMs)}`,
    deadLetterQueue: (group) => `${prefix}.dlq.${group}`,
    runLedger: (group, messageId) => `${prefix}.runs.${group}.${messageId}`,
  };
}

/**
 * The default delay levels: roughly geometric (each at most 2.5x the one before) so that
 * rounding a backoff up to the next level adds little, from 100 ms (sub-second retries
 * stay sub-second) to 1 h. A delay queue is declared the first time its level is used.
 */
export const DEFAULT_DELAY_LEVELS_MS: readonly number[] = Object.freeze([
  100, 250, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_200_000, 1_800_000,
  3_600_000,
]);

/** The level a retry waits at: the smallest level >= delayMs, or the largest when none is. */
export function delayLevelFor(levels: readonly number[], delayMs: number): number {
  for (const level of levels) if (level >= delayMs) return level;
  return levels[levels.length - 1]!;
}

const units: Array<[string, number]> = [
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/** 500 -> '500ms', 2000 -> '2s', 60000 -> '1m': the largest unit that divides exactly. */
export function formatDelay(ms: number): string {
  for (const [unit, size] of units) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** '250ms', '2s', '5m', '1h' or a bare number of milliseconds. */
export function parseDelay(text: string, setting: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!match) throw new ConfigError(`${setting}: '${text}' is not a delay; write e.g. 250ms, 2s, 5m or 1h`);
  const factor = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * factor);
}

/** Sorted, distinct, positive integer levels; a bad list is a ConfigError naming the setting. */
export function checkDelayLevels(levels: readonly number[], setting: string): number[] {
  if (levels.length === 0) throw new ConfigError(`${setting}: give at least one delay level, e.g. [500, 5000, 60000]`);
  for (const level of levels) {
    // RabbitMQ's x-message-ttl is an unsigned 32-bit number of milliseconds.
    if (!Number.isInteger(level) || level < 1 || level > 0xffffffff) {
      throw new ConfigError(
        `${setting}: delay level ${level} must be a whole number of milliseconds between 1 and 4294967295`,
      );
    }
  }
  return [...new Set(levels)].sort((a, b) => a - b);
}

/** AMQP short strings: names longer than 255 bytes are refused by the broker, late and obscurely. */
export function checkName(kind: string, name: string): string {
  if (name.length === 0) throw new ConfigError(`RabbitMQ ${kind} name is empty; choose a non-empty name`);
  if (Buffer.byteLength(name) > 255) {
    throw new ConfigError(
      `RabbitMQ ${kind} name '${name.slice(0, 60)}...' is longer than 255 bytes; use a shorter group, prefix or names override`,
    );
  }
  return name;
}
