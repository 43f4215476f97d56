import { promises as dns } from 'node:dns';
import { ConfigError, TimeoutError, type Logger } from '@tandem/core';
import type { Balancer } from './balancer.js';
import { resolveSource, type DnsResolver } from './discovery-dns.js';
import { parseServiceUrl, settingFor, type ServiceSource } from './discovery-url.js';

/** How service names are resolved through DNS: refresh interval and failures. */
export interface DnsDiscoveryOptions {
  /** A node:dns/promises Resolver (2 tries of 2 s) by default; anything with resolve4/resolve6/resolveSrv. */
  resolver?: DnsResolver;
  /** How often DNS names are resolved again, in ms. Default 5 s. */
  refreshMs?: number;
}

type DnsSource = Exclude<ServiceSource, { kind: 'static' }>;

/**
 * The instances of one service, kept in its balancer: fixed origins at once, DNS names at
 * the first call (or `ready()`) and again every `refreshMs`. A name that stops resolving
 * keeps its last addresses, so a DNS hiccup does not empty a healthy service.
 */
export class ServiceEndpoints {
  readonly basePath: string;
  readonly logical: URL;
  private readonly fixed: string[] = [];
  private readonly names: DnsSource[] = [];
  private readonly lastKnown = new Map<DnsSource, string[]>();
  private readonly resolver: DnsResolver;
  private first: Promise<void> | undefined;
  private refreshing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly service: string,
    urls: readonly string[],
    readonly balancer: Balancer,
    private readonly options: DnsDiscoveryOptions,
    private readonly log: Logger | undefined,
  ) {
    if (urls.length === 0) throw new ConfigError(`no URL for service '${service}': ${settingFor(service)}`);
    const parsed = urls.map((url) => parseServiceUrl(service, url));
    this.basePath = parsed[0]!.basePath;
    this.logical = parsed[0]!.logical;
    for (const { source } of parsed) {
      if (source.kind === 'static') this.fixed.push(source.origin);
      else this.names.push(source);
    }
    this.resolver = options.resolver ?? new dns.Resolver({ timeout: 2_000, tries: 2 });
    if (this.names.length === 0) balancer.update(this.fixed);
  }

  /** Undefined once the instances are known; else the first resolution, which a call awaits. */
  ready(): Promise<void> | undefined {
    if (this.names.length === 0 || this.lastKnown.size === this.names.length) return undefined;
    this.first ??= this.refresh(true).then(
      () => this.schedule(),
      (error: unknown) => {
        // The next call tries again: the name may exist by then (a service that starts later).
        this.first = undefined;
        throw error;
      },
    );
    return this.first;
  }

  /** `ready()` bounded by a call's deadline and signal: finding the service is part of the call's time. */
  readyWithin(deadline: number, signal: AbortSignal | undefined): Promise<void> | undefined {
    const resolving = this.ready();
    if (!resolving) return undefined;
    return new Promise<void>((resolve, reject) => {
      const late = `service '${this.service}': DNS did not answer`;
      const timer = setTimeout(
        () => reject(new TimeoutError(`${late} within the call's deadline`)),
        Math.max(0, deadline - Date.now()),
      );
      const onAbort = (): void => reject(new TimeoutError(`${late} before the call was aborted`));
      signal?.addEventListener('abort', onAbort, { once: true });
      resolving.then(resolve, reject).finally(() => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      });
    });
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      this.refresh(false).catch(() => undefined);
    }, this.options.refreshMs ?? 5_000);
    this.timer.unref();
  }

  /** Resolves every name again and hands the union to the balancer; `strict` rejects when one fails. */
  refresh(strict = false): Promise<void> {
    this.refreshing ??= this.resolveAll(strict).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async resolveAll(strict: boolean): Promise<void> {
    const results = await Promise.allSettled(
      this.names.map((source) => resolveSource(this.service, source, this.resolver)),
    );
    let failure: unknown;
    results.forEach((result, i) => {
      const source = this.names[i]!;
      if (result.status === 'fulfilled') this.lastKnown.set(source, result.value);
      else {
        failure ??= result.reason;
        if (this.lastKnown.has(source)) {
          this.log?.warn(
            { target: this.service, error: (result.reason as Error).message },
            'DNS re-resolution failed: keeping the last known instances',
          );
        }
      }
    });
    if (this.closed) return;
    const origins = new Set([...this.fixed, ...[...this.lastKnown.values()].flat()]);
    this.balancer.update([...origins]);
    if (failure !== undefined && (strict || origins.size === 0)) throw failure;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
  }
}
