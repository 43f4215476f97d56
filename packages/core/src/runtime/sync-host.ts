import type { DeadLetterAccess } from '../transport/broker.js';
import type { AppReplayOptions } from '../replay/app-replay.js';
import type { ReplayResult } from '../replay/replay.js';
import type { Context } from '@opentelemetry/api';
import type { RouteSpec, SyncContract } from '../contracts/contracts.js';
import type { App } from './app.js';

/** A command or query the app serves, as a server adapter sees it. */
export interface SyncEndpoint {
  readonly contract: SyncContract;
  readonly service: string;
  readonly route?: RouteSpec;
}

/** A command or query request as a sync server hands it to the app. */
export interface InvokeRequest {
  headers?: Record<string, string>;
  /** Aborts the run when it aborts (an in-process caller's signal). */
  signal?: AbortSignal;
  /**
   * Called with the run's abort function once the handler first reads `ctx.signal`, for a
   * server to call when its client goes away (or at once if it already has). Most runs
   * never read the signal, so most requests never pay for the listener.
   */
  onCancel?: (cancel: (reason: unknown) => void) => void;
  /** The caller's remaining time in ms (from its deadline header). */
  timeoutMs?: number;
  idempotencyKey?: string;
  /** The authenticated caller, from the server's auth hook. */
  principal?: string;
  correlationId?: string;
  causationId?: string;
  /** The OpenTelemetry context of the server span; the handler's events and calls continue its trace. */
  trace?: Context;
  /**
   * Set by the runtime when the answer is the stored outcome of an earlier run with the same
   * idempotency key (HTTP says so with `Idempotent-Replayed: true`).
   */
  replayed?: boolean;
}

/**
 * Where a dispatched run's outcome goes (see SyncHost.dispatch): a server's per-request
 * object, so that answering needs no promise and no closure per request. Its methods must
 * not throw.
 */
export interface InvokeReply {
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/** One health check's result: up or down, and why. */
export interface HealthCheck {
  ok: boolean;
  detail?: string;
}

/** The app's health: overall status and each check. */
export interface HealthReport {
  /** False only when the process should be restarted. */
  live: boolean;
  /** Whether the app should get traffic now. */
  ready: boolean;
  checks: Record<string, HealthCheck>;
}

/** What the runtime offers a server adapter. */
export interface SyncHost {
  readonly endpoints: readonly SyncEndpoint[];
  /** Runs the endpoint's handler through the middleware; rejects with a TandemError. */
  invoke(endpoint: SyncEndpoint, input: unknown, request: InvokeRequest): Promise<unknown>;
  /**
   * As `invoke`, with the outcome handed to `reply` instead of a promise: what a server
   * uses on its hot path, one promise reaction fewer per request.
   */
  dispatch(endpoint: SyncEndpoint, input: unknown, request: InvokeRequest, reply: InvokeReply): void;
  /** False once stop() began: new requests get 503. */
  readonly accepting: boolean;
  health(): Promise<HealthReport>;
  /**
   * The app's consumer groups and its broker's dead letters, for an operator's admin route
   * (the in-process broker's dead letters exist only inside the app's process).
   */
  readonly deadLetters?: { readonly groups: readonly string[]; readonly access: DeadLetterAccess };
  /**
   * `app.replay()`, for an operator's admin route: the in-process broker's groups live only
   * in the app's process, so a replay to them has to run there.
   */
  replay?(options: AppReplayOptions): Promise<ReplayResult>;
  /**
   * The app itself, for routes a server mounts beside its own (the console's admin API
   * reads its model, activity, store and health).
   */
  readonly app?: App;
}

/** A server adapter: @tandem/transport-http's httpServer() is one. */
export interface SyncServer {
  readonly name: string;
  /** Where it listens once started, if it listens itself; the app's start-up log names it. */
  readonly url?: string | undefined;
  start(host: SyncHost): Promise<void>;
  /**
   * The app began to stop and gives its in-flight work at most `timeoutMs`: the server may
   * start draining at once (answers that close their connections, idle kept-alive
   * connections closed) and bound its stop() by that deadline. Called before stop().
   */
  drain?(timeoutMs: number): void;
  /** Stops listening and waits for open requests; called after the runtime drained. */
  stop(): Promise<void>;
}
