import type { IncomingMessage } from 'node:http';
import { ConfigError } from '@tandem/core';
import type { HandlerStatsOptions } from '../feeds/handler-stats.js';
import type { SampledOptions } from '../feeds/sampled.js';
import type { HistoryOptions } from './history.js';
import type { SpanRing } from '../span-ring.js';

/** What consoleApi() takes. */
export interface ConsoleApiOptions {
  /**
   * Serve the API. Default: on unless NODE_ENV is 'production'. In production it is on only
   * when set true, and then `authorize` is required.
   */
  enabled?: boolean;
  /**
   * Whether a request may use the API (every route, reads included: dead letters carry
   * message bodies). Default outside production: only requests from this machine (a
   * loopback peer) that name it (Host localhost or a loopback address, against DNS
   * rebinding); a proxy in front makes every request look local, so behind one, pass a
   * check of your own. The admin routes' `authorize` fits here as it is.
   */
  authorize?: (req: IncomingMessage) => boolean | Promise<boolean>;
  /** Where the API is served, below the server's base path. Default '/_tandem/api'. */
  prefix?: string;
  /** The span ring the trace routes read; without one they answer an empty list. */
  spans?: SpanRing;
  /** The handler statistics' window. Default 60 s, a value a second. */
  stats?: HandlerStatsOptions;
  /** The live stream's sampling (default 50 records per 100 ms), heartbeat and write buffer. */
  live?: SampledOptions & {
    /** A comment line this often keeps proxies from closing an idle stream. Default 15 s. */
    heartbeatMs?: number;
    /** Bytes a slow client may leave unread before batches are dropped for it (and counted). Default 1 MiB. */
    maxBufferedBytes?: number;
  };
  /**
   * How long the statistics keep listening to the app after the last request for them.
   * While nobody looks, the app builds no activity records at all. Default 5 min.
   */
  idleMs?: number;
  /**
   * The lag and outbox history (`GET history`): a sample every `intervalMs` (5 s), the last
   * `samples` kept (180: 15 minutes), at most `maxGroups` consumer groups (20). Sampled only
   * while someone looks, like the statistics (`idleMs`).
   */
  history?: HistoryOptions;
}

/** The options with their defaults, checked. */
export interface ResolvedConsoleOptions {
  enabled: boolean;
  authorize: ((req: IncomingMessage) => boolean | Promise<boolean>) | undefined;
  prefix: string;
  spans: SpanRing | undefined;
  stats: HandlerStatsOptions;
  perInterval: number;
  intervalMs: number;
  heartbeatMs: number;
  maxBufferedBytes: number;
  idleMs: number;
  history: HistoryOptions;
}

export function resolveConsoleOptions(
  options: ConsoleApiOptions,
  env: string | undefined = process.env.NODE_ENV,
): ResolvedConsoleOptions {
  const production = env === 'production';
  const enabled = options.enabled ?? !production;
  if (enabled && production && !options.authorize)
    throw new ConfigError(
      "consoleApi: turned on in production without an authorize hook; pass authorize: (req) => ... (the admin routes' check fits), or leave it off",
    );
  return {
    enabled,
    authorize: options.authorize,
    prefix: options.prefix ?? '/_tandem/api',
    spans: options.spans,
    stats: options.stats ?? {},
    perInterval: options.live?.perInterval ?? 50,
    intervalMs: options.live?.intervalMs ?? 100,
    heartbeatMs: options.live?.heartbeatMs ?? 15_000,
    maxBufferedBytes: options.live?.maxBufferedBytes ?? 1024 * 1024,
    idleMs: options.idleMs ?? 5 * 60_000,
    history: options.history ?? {},
  };
}
