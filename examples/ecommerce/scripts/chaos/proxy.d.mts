export interface Proxy {
  /** The port the services connect to. */
  readonly port: number;
  /** Connections open through the proxy now. */
  connections(): number;
  /** Drops every open connection; returns how many. */
  cut(): number;
  /** Stops listening and drops every connection, as a broker restart does; returns how many were cut. */
  down(): Promise<number>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy to `target` on 127.0.0.1 and a free port. */
export function startProxy(target: { host: string; port: number }): Promise<Proxy>;
