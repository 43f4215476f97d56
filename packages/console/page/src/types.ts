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
