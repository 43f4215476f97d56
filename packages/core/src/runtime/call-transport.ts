import type { Context } from '@opentelemetry/api';
import type { SyncContract } from '../contracts/contracts.js';
import type { HealthCheck } from './sync-host.js';
import type { ActivitySink } from '../activity/activity.js';

/** How a sync call to another service travels; @tandem/transport-http's client is one. */
export interface CallTransport {
  call(contract: SyncContract, input: unknown, call: OutboundCall): Promise<unknown>;
  close?(): Promise<void>;
  /** Checks merged into the app's health report (the client's circuit breakers, by name). */
  health?(): Record<string, HealthCheck>;
  /** Called by the app it is given to: where to report its own activity (circuit breaker changes). */
  attachActivity?(sink: ActivitySink): void;
}

/** A typed call on its way to another service: contract, input, deadline and headers. */
export interface OutboundCall {
  /** Absolute deadline (epoch ms); the transport sends the remaining time to the callee. */
  deadline?: number;
  signal?: AbortSignal;
  idempotencyKey?: string;
  /** The caller's OpenTelemetry context: the client span is its child (the active context otherwise). */
  trace?: Context;
  /** Correlation and causation headers to forward. */
  headers: Record<string, string>;
}

/** Header names for sync calls between services. */
export const CallHeader = {
  correlationId: 'tandem-correlation-id',
  causationId: 'tandem-causation-id',
  /** Milliseconds the callee has left; it becomes the callee's `ctx.signal` deadline. */
  timeout: 'tandem-timeout-ms',
  idempotencyKey: 'idempotency-key',
  /**
   * The version of the contract the caller was built against; the server upcasts an older
   * version's input to its current one. Left out, the input is taken as the current version.
   */
  contractVersion: 'tandem-contract-version',
} as const;
