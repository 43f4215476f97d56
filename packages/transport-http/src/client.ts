import { randomUUID } from 'node:crypto';
import { BalancedPool, Pool, type Dispatcher } from 'undici';
import {
  CallHeader,
  CircuitOpenError,
  ConfigError,
  instrumentsFor,
  startHttpClientSpan,
  type CallTransport,
  type HealthCheck,
  type InputOf,
  type Logger,
  type OutboundCall,
  type OutputOf,
  type SyncContract,
} from '@tandem/core';
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
import { faultOf, httpStatusOf, sendOnce, type PreparedRequest } from './client-send.js';
import { TRACING_SCOPE } from './http-tracing.js';
import { fillPath, hasBody, routeOf } from './routes.js';

export interface FallbackCall {
  contract: SyncContract;
  input: unknown;
  /** CircuitOpenError, or the fault (timeout, no connection, 5xx) the call ended with. */
  error: unknown;
}

export interface HttpClientOptions {
  /** Base URL(s) by service name; several URLs are balanced. */
  services: Record<string, string | string[]>;
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

export interface ClientCallOptions extends Partial<OutboundCall> {
  timeoutMs?: number;
}

export interface HttpClient extends CallTransport {
  /** A typed call: input and output types come from the contract. */
  call<C extends SyncContract>(contract: C, input: InputOf<C>, options?: ClientCallOptions): Promise<OutputOf<C>>;
  /** Circuit breaker state and rolling counts, by service. */
  breakers(): Record<string, BreakerSnapshot>;
  health(): Record<string, HealthCheck>;
  close(): Promise<void>;
}

export function httpClient(options: HttpClientOptions): HttpClient {
  return new UndiciClient(options);
}

interface Target {
  dispatcher: Dispatcher;
  origin: URL;
  basePath: string;
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
    for (const [service, value] of Object.entries(options.services)) {
      const urls = (Array.isArray(value) ? value : [value]).map((u) => {
        try {
          return new URL(u);
        } catch {
          throw new ConfigError(
            `httpClient: service '${service}' has an invalid URL '${u}'; expected e.g. http://host:3000`,
          );
        }
      });
      if (urls.length === 0) throw new ConfigError(`httpClient: service '${service}' has no URL`);
      const poolOptions = { connections: options.connections ?? 32, keepAliveTimeout: 4_000 };
      const dispatcher =
        urls.length === 1
          ? new Pool(urls[0]!.origin, poolOptions)
          : new BalancedPool(
              urls.map((u) => u.origin),
              poolOptions,
            );
      const budget = this.retry ? new RetryBudget(this.retry.budgetRatio, this.retry.budgetMinPerSecond) : undefined;
      this.targets.set(service, {
        dispatcher,
        origin: urls[0]!,
        basePath: urls[0]!.pathname.replace(/\/$/, ''),
        budget,
      });
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
        `no URL for service '${contract.service}' (needed by '${contract.name}'); add it to httpClient({ services: { ${contract.service}: 'http://host:port' } }) ` +
          `or set TANDEM_SERVICE_${contract.service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`,
      );
    }
    const idempotencyKey =
      options.idempotencyKey ??
      (contract.kind === 'command' && this.options.idempotencyKeys === 'auto' ? randomUUID() : undefined);
    const request = this.prepare(contract, input, target, options, idempotencyKey);
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
        await sleep(delay, options.signal);
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
    if (idempotencyKey !== undefined) headers[CallHeader.idempotencyKey] = idempotencyKey;
    return {
      method: route.method,
      path: target.basePath + path + search,
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
      route: target.basePath + route.path,
      origin: target.origin,
      path: request.path,
      resendCount: attempt,
      parent: request.trace,
      attributes: { 'tandem.contract': contract.name },
    });
    const headers = { ...request.headers };
    span.inject(headers);
    const send = () => sendOnce(target.dispatcher, contract, { ...request, headers });
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

  health(): Record<string, HealthCheck> {
    return this.breakerSet?.health() ?? {};
  }

  async close(): Promise<void> {
    this.breakerSet?.close();
    await Promise.all([...this.targets.values()].map(({ dispatcher }) => dispatcher.close()));
  }
}
