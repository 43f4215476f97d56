import type { RouteSpec, SyncContract } from '../contracts/contracts.js';

/** A command or query the app serves, as a server adapter sees it. */
export interface SyncEndpoint {
  readonly contract: SyncContract;
  readonly service: string;
  readonly route?: RouteSpec;
}

export interface InvokeRequest {
  headers?: Record<string, string>;
  /** Aborts the run when the client goes away. */
  signal?: AbortSignal;
  /** The caller's remaining time in ms (from its deadline header). */
  timeoutMs?: number;
  idempotencyKey?: string;
  /** The authenticated caller, from the server's auth hook. */
  principal?: string;
  correlationId?: string;
  causationId?: string;
}

export interface HealthCheck {
  ok: boolean;
  detail?: string;
}

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
  /** False once stop() began: new requests get 503. */
  readonly accepting: boolean;
  health(): Promise<HealthReport>;
}

/** A server adapter: @tandem/transport-http's httpServer() is one. */
export interface SyncServer {
  readonly name: string;
  start(host: SyncHost): Promise<void>;
  /** Stops listening and waits for open requests; called after the runtime drained. */
  stop(): Promise<void>;
}
