import { randomBytes } from 'node:crypto';
import { Header } from '../messages/headers.js';
import { uuidv7 } from '../messages/uuid.js';
import type { BrokerTransport, OutgoingMessage } from '../transport/broker.js';

/** How a transport package plugs its real broker into the conformance suite. */
export interface TransportHarness {
  /** Shown in the suite's title. */
  name: string;
  /** A new transport, not yet connected: like a new process connected to the same broker. */
  create(): BrokerTransport | Promise<BrokerTransport>;
  /** Makes `transport` vanish as a killed process would: nothing it had in flight is settled. */
  crash(transport: BrokerTransport): Promise<void>;
  /** Called with the topics a test uses before anything subscribes (e.g. to create them). */
  prepareTopics?(topics: string[]): Promise<void>;
  /** How much later than asked a delayed retry may arrive (delay levels round up). Default 2,000. */
  retryDelaySlackMs?: number;
  /** Per-test timeout. Default 30,000. */
  timeoutMs?: number;
}

/** A name unique to this run, for topics, groups and queues in tests. */
export function uniqueName(prefix: string): string {
  return `${prefix}.${randomBytes(4).toString('hex')}`;
}

const encoder = new TextEncoder();

/** A message shaped like the ones Tandem publishes (CloudEvents headers, JSON body). */
export function conformanceMessage(
  topic: string,
  body: unknown,
  options: { key?: string; headers?: Record<string, string> } = {},
): OutgoingMessage {
  return {
    topic,
    ...(options.key !== undefined ? { key: options.key } : {}),
    headers: {
      [Header.specversion]: '1.0',
      [Header.id]: uuidv7(),
      [Header.source]: 'conformance',
      [Header.type]: 'conformance.checked',
      [Header.contentType]: 'application/json',
      [Header.traceparent]: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      ...options.headers,
    },
    body: encoder.encode(JSON.stringify(body)),
  };
}

/** A message body decoded from JSON. */
export function bodyOf<T = unknown>(message: { body: Uint8Array }): T {
  return JSON.parse(new TextDecoder().decode(message.body)) as T;
}

/** Polls `check` until it returns true or `timeoutMs` passes; then fails with `what`. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Resolves after ms milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A promise with its resolve function, to wait on a handler from a test. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
