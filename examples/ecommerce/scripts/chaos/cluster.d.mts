export declare const SERVICES: readonly ['orders', 'inventory', 'payments', 'shipping', 'notifications'];
export type ShopServiceName = (typeof SERVICES)[number];

export interface StopResult {
  name: string;
  signal: string;
  code: number | null;
  by: string | null;
  ms: number;
  hung: boolean;
}

export interface Cluster {
  ports: Record<ShopServiceName, number>;
  /** The process id of a service while it runs. */
  pid(name: ShopServiceName): number | undefined;
  /** The orders service's base URL. */
  orders: string;
  start(name: ShopServiceName): void;
  untilReady(names?: readonly ShopServiceName[], timeoutMs?: number): Promise<boolean>;
  stop(name: ShopServiceName, signal: 'SIGKILL' | 'SIGTERM', graceMs?: number): Promise<StopResult | undefined>;
  readonly fatal: string | undefined;
  unexpectedExits: Array<{ name: string; code: number | null; signal: string | null; at: string; reason: string[] }>;
  stops: StopResult[];
  close(): Promise<void>;
}

export declare function createCluster(options: {
  env: Record<string, string>;
  logDir: string;
  log: (line: string) => void;
  stamp: () => string;
}): Promise<Cluster>;
