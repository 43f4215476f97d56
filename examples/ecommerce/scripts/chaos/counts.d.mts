import type pg from 'pg';

export interface Snapshot {
  orders: Array<{ order_id: string; customer: string; status: string; reason: string | null }>;
  shipments: Array<{ order_id: string }>;
  notifications: Array<{ order_id: string; kind: string }>;
  reservations: Array<{ order_id: string; sku: string; qty: number; released: boolean }>;
  payments: Array<{ order_id: string; status: string }>;
  stock: Array<{ sku: string; available: number }>;
  /** Whether this build's outbox has a parking column. */
  parking: boolean;
  outbox: Array<{ topic: string; key: string | null; pending: boolean; parked: boolean }>;
}

/** What the client was answered for one order. */
export interface LoadResult {
  index: number;
  key: string;
  declined: boolean;
  outcome: 'accepted' | 'rejected' | 'refused' | 'unanswered';
  orderId?: string;
  reason?: string;
  detail?: string;
}

export interface RunFacts {
  deadLetters?: Record<string, number>;
  deadLetterError?: string;
  unexpectedExits: Array<{ name: string; code: number | null; signal: string | null; at: string }>;
  stops: Array<{ name: string; code: number | null; hung: boolean }>;
  recoveries: Array<{ fault: string; ms: number }>;
  recoveryBoundMs: number;
  drainMs: number;
  settledMs?: number;
}

export interface Row {
  metric: string;
  expected: string;
  observed: string;
  ok: boolean;
  note?: string;
}

export const INITIAL_STOCK: Record<string, number>;
export function snapshot(client: pg.Client, schema: string): Promise<Snapshot>;
export function eventualRows(db: Snapshot): Row[];
export function allRows(db: Snapshot, load: LoadResult[], run: RunFacts): Row[];
