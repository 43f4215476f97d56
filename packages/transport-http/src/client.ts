import { randomUUID } from 'node:crypto';
import {
  CallHeader,
  CircuitOpenError,
  ConfigError,
  instrumentsFor,
  startHttpClientSpan,
  type ActivitySink,
  type CallTransport,
  type HealthCheck,
  type InputOf,
  type Logger,
  type OutboundCall,
  type OutputOf,
  type SyncContract,
} from '@tandem/core';
import { Balancer, type InstanceSnapshot } from './balancer.js';
import { resolvePassiveHealth, type PassiveHealthOptions } from './balancer-health.js';
import { Breakers, type BreakerOptions, type BreakerSnapshot } from './breaker.js';
import {
  isRetryableFault,
  resolveRetry,
  retryDelay,
  RetryBudget,
  sleep,
  type ResolvedRetry,
  type RetryOptions,
} from './client-retry.js';
import { callerAbortError, faultOf, httpStatusOf, sendOnce, type PreparedRequest } from './client-send.js';
import { ServiceEndpoints, type DnsDiscoveryOptions } from './discovery.js';
import { settingFor } from './discovery-url.js';
import { TRACING_SCOPE } from './http-tracing.js';
import { fillPath, hasBody, routeOf } from './routes.js';

/** A call that failed and is handed to a fallback. */
export interface FallbackCall {
  contract: SyncContract;
  input: unknown;
  /** CircuitOpenError, or the fault (timeout, no connection, 5xx) the call ended with. */
  error: unknown;
}

/** What httpClient() takes: the services' URLs and the call policies. */
export interface HttpClientOptions {
  /**
   * Base URL(s) by service name; several URLs, and every address a DNS name gives, are
   * balanced. `http://host:3000/base` is one instance, `dns+http://name:3000` every A/AAAA
   * address of `name`, `dns+srv+http://_http._tcp.name` every SRV target (Kubernetes
   * headless services); names are resolved again every `dns.refreshMs`.
   */
  services: Record<string, string | string[]>;
  /** The DNS resolver (node:dns/promises by default) and how often names are re-resolved (default 5 s). */
  dns?: DnsDiscoveryOptions;
  /** Passive health per instance: faults in a row take an instance out of rotation for a backoff period. */
  instanceHealth?: PassiveHealthOptions;
  /** Default per-call timeout in ms when the caller has no deadline. Default 10 s. */
  timeoutMs?: number;
  /** Keep-alive connections per origin. Default 32. */
  connections?: number;
  /** Headers sent on every call (e.g. an API key). */
  headers?: Record<string, string>;
  /**
   * Retries with backoff and a retry budget, for calls that are safe to repeat: queries,
   * and commands that carry an Idempotency-Key. `false` turns retries off.
   */
  retry?: RetryOptions | false;
  /** 'auto' gives every command without a key a fresh Idempotency-Key, so it can be retried safely. Default 'off'. */
  idempotencyKeys?: 'auto' | 'off';
  /** One circuit breaker per service; `false` turns them off. */
  breaker?: BreakerOptions | false;
  /** Answers a call whose circuit is open or which failed with a fault; its value is returned instead. */
  fallback?: (call: FallbackCall) => unknown;
  /** Where breaker state changes are logged. */
  logger?: Logger;
}

/** Per-call options of the HTTP client: the call's deadline and outbound details. */
export interface ClientCallOptions extends Partial<OutboundCall> {
  timeoutMs?: number;
}

/** Typed calls to other services over HTTP, with balancing, breakers and retries. */
export interface HttpClient extends CallTransport {
  /** A typed call: input and output types come from the contract. */
  call<C extends SyncContract>(contract: C, input: InputOf<C>, options?: ClientCallOptions): Promise<OutputOf<C>>;
  /** Circuit breaker state and rolling counts, by service. */
  breakers(): Record<string, BreakerSnapshot>;
  /** The instances of each service and whether they are in rotation. */
  instances(): Record<string, InstanceSnapshot[]>;
  /** Resolves every DNS name now; rejects, naming the service and the setting, when one does not resolve. */
  ready(): Promise<void>;
  health(): Record<string, HealthCheck>;
  close(): Promise<void>;
}

/** Makes the HTTP client for calls to other services; pass it to createApp({ clients }). Service URLs come from `services` or TANDEM_SERVICE_<NAME>_URL. */
export function httpClient(options: HttpClientOptions): HttpClient {
  return new UndiciClient(options);
}

interface Target {
  endpoints: ServiceEndpoints;
  budget: RetryBudget | undefined;
}

const clientInstruments = instrumentsFor('@tandem/transport-http', (meter) => ({
  retries: meter.createCounter('tandem.client.retries', {
    description: 'Retried typed-client calls, and retries refused by the budget.',
    unit: '{retry}',
  }),
}));

class UndiciClient implements HttpClient {
  private readonly targets = new Map<string, Target>();
  private readonly timeoutMs: number;
  private readonly retry: ResolvedRetry | undefined;
  private readonly breakerSet: Breakers | undefined;

  constructor(private readonly options: HttpClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retry = resolveRetry(options.retry);
    const poolOptions = { connections: options.connections ?? 32, keepAliveTimeout: 4_000 };
    const health = resolvePassiveHealth(options.instanceHealth);
    for (const [service, value] of Object.entries(options.services)) {
      const urls = Array.isArray(value) ? value : [value];
      const balancer = new Balancer(service, poolOptions, health, options.logger);
      const endpoints = new ServiceEndpoints(service, urls, balancer, options.dns ?? {}, options.logger);
      const budget = this.retry ? new RetryBudget(this.retry.budgetRatio, this.retry.budgetMinPerSecond) : undefined;
      this.targets.set(service, { endpoints, budget });
    }
    this.breakerSet =
      options.breaker === false ? undefined : new Breakers(this.targets.keys(), options.breaker ?? {}, options.logger);
  }

  async call<C extends SyncContract>(
    contract: C,
    input: InputOf<C>,
    options: ClientCallOptions = {},
  ): Promise<OutputOf<C>> {
    try {
      return (await this.callWithRetries(contract, input, options)) as OutputOf<C>;
    } catch (error) {
      if (this.options.fallback && (error instanceof CircuitOpenError || faultOf(error) !== undefined)) {
        return (await this.options.fallback({ contract, input, error })) as OutputOf<C>;
      }
      throw error;
    }
  }

  private async callWithRetries(contract: SyncContract, input: unknown, options: ClientCallOptions): Promise<unknown> {
    const target = this.targets.get(contract.service);
    if (!target) {
      throw new ConfigError(
        `no URL for service '${contract.service}' (needed by '${contract.name}'): ${settingFor(contract.service)}`,
      );
    }
    const deadline = options.deadline ?? Date.now() + (options.timeoutMs ?? this.timeoutMs);
    const resolving = target.endpoints.readyWithin(deadline, options.signal);
    if (resolving) await resolving;
    const idempotencyKey =
      options.idempotencyKey ??
      (contract.kind === 'command' && this.options.idempotencyKeys === 'auto' ? randomUUID() : undefined);
    const request = this.prepare(contract, input, target, { ...options, deadline }, idempotencyKey);
    const policy = contract.kind === 'query' || idempotencyKey !== undefined ? this.retry : undefined;
    target.budget?.deposit();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(contract, target, request, attempt);
      } catch (error) {
        const fault = faultOf(error);
        if (!policy || attempt + 1 >= policy.attempts || !isRetryableFault(fault)) throw error;
        const delay = retryDelay(policy, attempt + 1, fault?.retryAfterMs);
        if (Date.now() + delay >= request.deadline) throw error;
        const attributes = { 'tandem.client.target': contract.service, 'tandem.contract': contract.name };
        if (!target.budget!.tryWithdraw()) {
          clientInstruments().retries.add(1, { ...attributes, 'tandem.retry.outcome': 'budget_exhausted' });
          throw error;
        }
        clientInstruments().retries.add(1, { ...attributes, 'tandem.retry.outcome': 'retried' });
        try {
          await sleep(delay, options.signal);
        } catch (reason) {
          throw callerAbortError(reason, request.where);
        }
      }
    }
  }

  private prepare(
    contract: SyncContract,
    input: unknown,
    target: Target,
    options: ClientCallOptions,
    idempotencyKey: string | undefined,
  ): PreparedRequest {
    const route = routeOf(contract);
    const { path, used } = fillPath(route.path, input);
    let search = '';
    let body: string | undefined;
    if (hasBody(route.method)) body = JSON.stringify(input ?? {});
    else {
      const rest =
        used.size > 0 ? Object.fromEntries(Object.entries(input as object).filter(([k]) => !used.has(k))) : input;
      if (rest !== undefined && Object.keys(rest as object).length > 0)
        search = `?input=${encodeURIComponent(JSON.stringify(rest))}`;
    }
    const headers: Record<string, string> = { ...this.options.headers, ...options.headers, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    // Always sent, version 1 too: a server that moved on upcasts this caller's input. (A
    // contract made by an older @tandem/core has no version: it is version 1.)
    headers[CallHeader.contractVersion] = String(contract.version ?? 1);
    if (idempotencyKey !== undefined) headers[CallHeader.idempotencyKey] = idempotencyKey;
    return {
      method: route.method,
      path: target.endpoints.basePath + path + search,
      headers,
      body,
      deadline: options.deadline ?? Date.now() + (options.timeoutMs ?? this.timeoutMs),
      signal: options.signal,
      trace: options.trace,
      where: `${route.method} ${contract.service}${path}`,
    };
  }

  /** One try: a CLIENT span around the breaker and the request. */
  private async attempt(
    contract: SyncContract,
    target: Target,
    request: PreparedRequest,
    attempt: number,
  ): Promise<unknown> {
    const route = routeOf(contract);
    const span = startHttpClientSpan(TRACING_SCOPE, {
      method: route.method,
      route: target.endpoints.basePath + route.path,
      origin: target.endpoints.logical,
      path: request.path,
      resendCount: attempt,
      parent: request.trace,
      attributes: { 'tandem.contract': contract.name },
    });
    const headers = { ...request.headers };
    span.inject(headers);
    const send = () =>
      target.endpoints.balancer.send((dispatcher) => sendOnce(dispatcher, contract, { ...request, headers }));
    try {
      const result = await (this.breakerSet ? this.breakerSet.fire(contract.service, send) : send());
      span.end(result.status);
      return result.output;
    } catch (error) {
      span.end(httpStatusOf(error), error);
      throw error;
    }
  }

  breakers(): Record<string, BreakerSnapshot> {
    return this.breakerSet?.snapshot() ?? {};
  }

  attachActivity(sink: ActivitySink): void {
    this.breakerSet?.attachActivity(sink);
  }

  instances(): Record<string, InstanceSnapshot[]> {
    const out: Record<string, InstanceSnapshot[]> = {};
    for (const [service, { endpoints }] of this.targets) out[service] = endpoints.balancer.snapshot();
    return out;
  }

  async ready(): Promise<void> {
    await Promise.all([...this.targets.values()].map(({ endpoints }) => endpoints.ready()));
  }

  health(): Record<string, HealthCheck> {
    return this.breakerSet?.health() ?? {};
  }

  async close(): Promise<void> {
    this.breakerSet?.close();
    for (const { endpoints } of this.targets.values()) endpoints.close();
    await Promise.all([...this.targets.values()].map(({ endpoints }) => endpoints.balancer.close()));
  }
}
