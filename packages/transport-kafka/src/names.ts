/**
 * Kafka topic names. An event's topic is its contract's `topic` (the event name unless the
 * contract overrides it), optionally with a prefix; retry and dead-letter topics belong to
 * one consumer group. Every name can be replaced through `KafkaTransportOptions.names`.
 */
import { ConfigError } from '@tandem/core';

/** How topics are named for events, retries and dead letters. */
export interface KafkaTopicNames {
  /** The Kafka topic of a Tandem topic (an event contract's `topic`). */
  event(topic: string): string;
  /** The group's retry topic for one delay level (ms). */
  retry(group: string, levelMs: number): string;
  /** The group's dead-letter topic. */
  deadLetter(group: string): string;
}

/** Delay levels of the retry topics: a retry waits in the smallest level at least as long as its delay. */
export const DEFAULT_RETRY_LEVELS_MS: readonly number[] = [1_000, 10_000, 60_000, 600_000, 3_600_000];

/** `1000` -> `1s`, `600000` -> `10m`, `3600000` -> `1h`, `1500` -> `1500ms`. */
export function delayLabel(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

/**
 * The default names: `<prefix><topic>`, `<prefix><group>.retry.<level>` (e.g.
 * `billing.retry.10s`) and `<prefix><group>.dlq`.
 */
export function defaultTopicNames(prefix = ''): KafkaTopicNames {
  return {
    event: (topic) => `${prefix}${topic}`,
    retry: (group, levelMs) => `${prefix}${group}.retry.${delayLabel(levelMs)}`,
    deadLetter: (group) => `${prefix}${group}.dlq`,
  };
}

/** Checks and sorts delay levels; at least one, each a positive whole number of ms. */
export function normaliseLevels(levels: readonly number[]): number[] {
  if (levels.length === 0)
    throw new ConfigError('kafka retryLevelsMs: give at least one delay level, e.g. [1000, 10000, 60000]');
  for (const level of levels) {
    if (!Number.isInteger(level) || level <= 0)
      throw new ConfigError(`kafka retryLevelsMs: ${level} is not a positive whole number of ms`);
  }
  return [...new Set(levels)].sort((a, b) => a - b);
}

/** The level a delay waits in: the smallest one at least as long, else the longest. */
export function levelFor(levels: readonly number[], delayMs: number): number {
  return levels.find((level) => level >= delayMs) ?? levels[levels.length - 1]!;
}
