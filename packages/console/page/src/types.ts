/** The API's answers, as far as the page reads them (see docs/console.md). */
export interface Model {
  services: string[];
  broker: string;
  store: string | null;
  handlers: Array<{ service: string; name: string; kind: string; handlerName: string; group?: string }>;
  sync: Array<{ name: string; kind: string; service: string; route?: { method: string; path: string } }>;
  events: Array<{
    name: string;
    service: string;
    publishers: string[];
    consumers: Array<{ service: string; group: string; handlerName: string }>;
  }>;
  groups: Array<{ group: string; service: string; types: string[] }>;
  flow: { edges: Array<{ from: string; to: string; event: string }>; cycles: string[][] };
}

export interface HandlerStats {
  service: string;
  handler: string;
  handlerKind: string;
  group?: string;
  runs: number;
  failures: number;
  retries: number;
  deadLetters: number;
  ratePerSec: number;
  errorsPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
}

export interface EdgeRates {
  published: Array<{ service: string; type: string; ratePerSec: number }>;
  delivered: Array<{ type: string; group: string; service: string; ratePerSec: number; failuresPerSec: number }>;
}

export interface Stats {
  windowMs: number;
  watchedForMs: number;
  handlers: HandlerStats[];
  edges: EdgeRates;
}

export interface DeadLetter {
  id: string;
  topic: string;
  key?: string;
  reason: string;
  error?: string;
  attempts: number;
  deadLetteredAt: string;
  headers: Record<string, string>;
  body: string;
}

export interface DeadLetters {
  canDiscard: boolean;
  groups: Array<{ group: string; deadLetters: DeadLetter[] }>;
}

export interface TraceSummary {
  traceId: string;
  name: string;
  startMs: number;
  durationMs: number;
  spans: number;
  error: boolean;
  services: string[];
}

export interface Span {
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: string;
  service?: string;
  startMs: number;
  durationMs: number;
  error: boolean;
  statusMessage?: string;
  attributes: Record<string, string | number | boolean>;
}

/** One record of the live activity stream. */
export type Activity = { kind: string; at: number } & Record<string, unknown>;

/** `GET history`: samples column by column, oldest first; null where a value could not be read. */
export interface History {
  intervalMs: number;
  capacity: number;
  watchedForMs: number;
  lagCounted: boolean;
  outboxCounted: boolean;
  at: number[];
  lag: Array<{ group: string; waiting: Array<number | null> }>;
  groupsLeftOut: number;
  outbox: { waiting: Array<number | null>; parked: Array<number | null> };
}

export type SagaStatus = 'running' | 'compensating' | 'parked' | 'completed' | 'compensated';

export interface SagaSummary {
  saga: string;
  id: string;
  status: SagaStatus;
  version: number;
  createdAt: number;
  updatedAt: number;
  nextTimeout: { name: string; dueAt: number } | null;
  reason: string | null;
  error: string | null;
}

/** `GET sagas`. */
export interface Sagas {
  sagas: 'available' | 'none';
  canRetry: boolean;
  counts: Array<{ saga: string; status: SagaStatus; count: number; oldestUpdatedAt: number }>;
  instances: SagaSummary[];
}

/** `GET sagas/instance`. */
export interface SagaDetail extends SagaSummary {
  state: unknown;
  dueAt: number | null;
  pending: Array<{ commandId: string; command: string; compensation: boolean }>;
  timeouts: Array<{ name: string; dueAt: number; fired: boolean }>;
  compensations: Array<{ kind: string; name: string }>;
  failed: { kind: string; name: string } | null;
  history: Array<{ at: number; input: string; messageId?: string; status: SagaStatus; note?: string }>;
}
