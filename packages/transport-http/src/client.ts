import { BalancedPool, Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import {
  CallHeader,
  ConfigError,
  InternalError,
  TimeoutError,
  UnavailableError,
  type CallTransport,
  type InputOf,
  type OutboundCall,
  type OutputOf,
  type SyncContract,
} from '@tandem/core';
import { fromProblem } from './problem.js';
import { fillPath, hasBody, routeOf } from './routes.js';

export interface HttpClientOptions {
  /** Base URL(s) by service name; several URLs are balanced. */
  services: Record<string, string | string[]>;
  /** Default per-call timeout in ms when the caller has no deadline. Default 10 s. */
  timeoutMs?: number;
  /** Keep-alive connections per origin. Default 32. */
  connections?: number;
  /** Headers sent on every call (e.g. an API key). */
  headers?: Record<string, string>;
}

export interface ClientCallOptions extends Partial<OutboundCall> {
  timeoutMs?: number;
}

export interface HttpClient extends CallTransport {
  /** A typed call: input and output types come from the contract. */
  call<C extends SyncContract>(contract: C, input: InputOf<C>, options?: ClientCallOptions): Promise<OutputOf<C>>;
  close(): Promise<void>;
}

export function httpClient(options: HttpClientOptions): HttpClient {
  return new UndiciClient(options);
}

class UndiciClient implements HttpClient {
  private readonly dispatchers = new Map<string, { dispatcher: Dispatcher; basePath: string }>();
  private readonly timeoutMs: number;

  constructor(private readonly options: HttpClientOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
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
      const basePath = urls[0]!.pathname.replace(/\/$/, '');
      const poolOptions = { connections: options.connections ?? 32, keepAliveTimeout: 4_000 };
      const dispatcher =
        urls.length === 1
          ? new Pool(urls[0]!.origin, poolOptions)
          : new BalancedPool(
              urls.map((u) => u.origin),
              poolOptions,
            );
      this.dispatchers.set(service, { dispatcher, basePath });
    }
  }

  async call<C extends SyncContract>(
    contract: C,
    input: InputOf<C>,
    options: ClientCallOptions = {},
  ): Promise<OutputOf<C>> {
    const target = this.dispatchers.get(contract.service);
    if (!target) {
      throw new ConfigError(
        `no URL for service '${contract.service}' (needed by '${contract.name}'); add it to httpClient({ services: { ${contract.service}: 'http://host:port' } }) ` +
          `or set TANDEM_SERVICE_${contract.service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`,
      );
    }
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
    const deadline = options.deadline ?? Date.now() + (options.timeoutMs ?? this.timeoutMs);
    const remaining = deadline - Date.now();
    const where = `${route.method} ${contract.service}${path}`;
    if (remaining <= 0) throw new TimeoutError(`${where}: the deadline passed before the call was sent`);
    const headers: Record<string, string> = {
      ...this.options.headers,
      ...options.headers,
      accept: 'application/json',
      [CallHeader.timeout]: String(remaining),
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey !== undefined) headers[CallHeader.idempotencyKey] = options.idempotencyKey;
    const timeoutSignal = AbortSignal.timeout(remaining);
    const signal = options.signal ? AbortSignal.any([options.signal, timeoutSignal]) : timeoutSignal;

    let response: Dispatcher.ResponseData;
    try {
      response = await target.dispatcher.request({
        method: route.method,
        path: target.basePath + path + search,
        headers,
        body,
        signal,
      });
    } catch (error) {
      throw this.transportError(error, where, timeoutSignal);
    }
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw this.transportError(error, where, timeoutSignal);
    }
    const status = response.statusCode;
    if (status === 204) return undefined as OutputOf<C>;
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw status >= 500
        ? new UnavailableError(`${where} answered HTTP ${status} with a body that is not JSON`)
        : new InternalError(`${where} answered with a body that is not JSON`);
    }
    if (status >= 400) throw fromProblem(status, parsed, where);
    const output = contract.output.safeParse(parsed);
    if (!output.success)
      throw new InternalError(`${where} answered with output that does not match '${contract.name}'`);
    return output.data as OutputOf<C>;
  }

  private transportError(error: unknown, where: string, timeoutSignal: AbortSignal): Error {
    if (timeoutSignal.aborted) return new TimeoutError(`${where}: no answer within the deadline`, { cause: error });
    if (error instanceof undiciErrors.RequestAbortedError || (error as { name?: string }).name === 'AbortError') {
      return new TimeoutError(`${where}: the call was aborted`, { cause: error });
    }
    return new UnavailableError(`${where}: ${(error as Error).message}`, { cause: error });
  }

  async close(): Promise<void> {
    await Promise.all([...this.dispatchers.values()].map(({ dispatcher }) => dispatcher.close()));
  }
}
