/** Where the shop under load runs, and what the load can read of it. */
import type { PublishedAt } from './breakdown.js';
import type { CpuProbe } from './cpu.js';
import type { PgActivitySampler } from './pg-activity.js';
import type { StatusSource } from './shipped.js';

export interface ShopTarget {
  /** One line for the report's header. */
  describe: string;
  /** The orders service's base URL. */
  url: string;
  /** Each process's console, where its span ring is read (`GET /_tandem/api/traces/:id`). */
  consoles: Array<{ process: string; url: string }>;
  /** CPU per process label: the services, PostgreSQL's backends, the broker, this load process. */
  cpu: CpuProbe;
  /** What PostgreSQL's backends do during a step, when the load can see them. */
  pgActivity?: PgActivitySampler;
  /** When the outbox relay marked each message sent, when the load can read the outbox. */
  publishedAt?: PublishedAt;
  /** Which orders are shipped (see shipped.ts). */
  status: StatusSource;
  /** Events handled per service, when the load can count them (the in-process shop). */
  eventsHandled(): Map<string, number> | undefined;
  /** Dead letters per consumer group, when the load can read them. */
  deadLetters(): Promise<Record<string, number> | undefined>;
  close(): Promise<void>;
}

/** The label this load process's own CPU is reported under. */
export const LOAD_PROCESS = 'load (this process)';
