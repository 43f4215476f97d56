/**
 * One AMQP connection that heals itself. Reconnecting with backoff is amqplib's own
 * recovery (`connect(url, { recovery })`); this adds what a transport needs around it:
 * a state for health checks, the broker's `connection.blocked` flag, and "attachers",
 * the parts (topology, publisher, consumers) that rebuild their channels on every new
 * connection before it counts as ready.
 */
import { connect, type ChannelModel, type RecoveringChannelModel } from 'amqplib';
import { BrokerError, type ConfigError, redactCredentials, UnavailableError } from '@tandem/core';
import type { ResolvedOptions } from './options.js';
import { refusal } from './refusals.js';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Rebuilds one part's channels on a fresh connection; throwing makes amqplib reconnect. */
export type Attacher = (model: ChannelModel) => Promise<void>;

export class AmqpConnection {
  state: ConnectionState = 'idle';
  /** The reason RabbitMQ gave in `connection.blocked` (a resource alarm), until `unblocked`. */
  blockedReason: string | undefined;
  lastError: Error | undefined;
  /** Why the broker refused the first connection for good (login, vhost), if it did. */
  private refused: ConfigError | undefined;
  private model: ChannelModel | undefined;
  private recovering: RecoveringChannelModel | undefined;
  private readonly attachers = new Set<Attacher>();
  private waiters: Array<{ resolve: (model: ChannelModel) => void; reject: (error: Error) => void }> = [];

  constructor(private readonly options: ResolvedOptions) {}

  /** The live connection, or undefined while (re)connecting. */
  get current(): ChannelModel | undefined {
    return this.model;
  }

  async open(): Promise<void> {
    if (this.state !== 'idle' && this.state !== 'closed') return;
    this.state = 'connecting';
    this.refused = undefined;
    const { options } = this;
    const recovering = await connect(options.connectUrl, {
      ...options.tls,
      // amqplib leaves Nagle's algorithm on; with it, small confirms and acks wait up to 40 ms.
      noDelay: true,
      clientProperties: { connection_name: options.connectionName },
      recovery: {
        initialDelay: options.reconnect.initialDelayMs,
        maxDelay: options.reconnect.maxDelayMs,
        waitForConnect: false,
        setup: (model: ChannelModel) => this.setup(model),
      },
    });
    this.recovering = recovering;
    recovering.on('disconnect', (error: Error) => {
      this.model = undefined;
      this.lastError = error;
      if (this.state !== 'closed') this.state = 'reconnecting';
      this.options.log.warn({ err: error, url: options.displayUrl }, 'rabbitmq connection lost; reconnecting');
    });
    recovering.on('connect-failed', (error: Error) => {
      this.lastError = error;
      this.options.log.debug({ err: error, url: options.displayUrl }, 'rabbitmq connection attempt failed');
      // At start a refused login fails at once; later (a password rotated under a running
      // service) the connection keeps retrying, as for any outage, and health says why.
      const refused = this.state === 'connecting' ? refusal(error, options) : undefined;
      if (refused) {
        this.refused = refused;
        this.rejectWaiters(refused);
      }
    });
    recovering.on('blocked', (reason: string) => {
      this.blockedReason = reason || 'blocked';
      this.options.log.warn(
        { reason, url: options.displayUrl },
        'rabbitmq blocked this connection (resource alarm); publishes wait',
      );
    });
    recovering.on('unblocked', () => {
      this.blockedReason = undefined;
      this.options.log.info({ url: options.displayUrl }, 'rabbitmq unblocked this connection');
    });
    recovering.on('error', (error: Error) => {
      this.lastError = error;
    });
    recovering.on('reconnect-failed', (error: Error) => this.fail(error));
    try {
      await this.ready(options.connectTimeoutMs);
    } catch (error) {
      await this.close();
      if (this.refused) throw this.refused;
      const why = redactCredentials(this.lastError?.message ?? String(error));
      throw new UnavailableError(
        `${options.setting}: rabbitmq at ${options.displayUrl} is unreachable after ${options.connectTimeoutMs} ms (${why}); check the host, port and that RabbitMQ runs`,
        { cause: this.lastError ?? error },
      );
    }
  }

  private async setup(model: ChannelModel): Promise<void> {
    // A handler is needed at once: a connection error event without one would crash the process.
    model.on('error', () => undefined);
    try {
      for (const attach of this.attachers) await attach(model);
    } catch (error) {
      // amqplib drops this connection and tries again with backoff; say why, it may not heal.
      this.options.log.warn(
        { err: error, url: this.options.displayUrl },
        'rabbitmq: setting up a new connection failed',
      );
      throw error;
    }
    this.model = model;
    this.state = 'connected';
    this.lastError = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve(model);
  }

  /** Runs `attach` on every future connection, and now if one is live. */
  async addAttacher(attach: Attacher): Promise<void> {
    this.attachers.add(attach);
    if (this.model) await attach(this.model);
  }

  removeAttacher(attach: Attacher): void {
    this.attachers.delete(attach);
  }

  /** The live connection, waiting up to `timeoutMs` for a reconnect. */
  ready(timeoutMs: number): Promise<ChannelModel> {
    if (this.model) return Promise.resolve(this.model);
    if (this.state === 'closed' || this.state === 'idle') {
      return Promise.reject(
        new BrokerError('rabbitmq transport is closed: call connect() first, and nothing after close()'),
      );
    }
    return new Promise<ChannelModel>((resolve, reject) => {
      const waiter = {
        resolve: (model: ChannelModel) => {
          clearTimeout(timer);
          resolve(model);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new UnavailableError(
            `rabbitmq at ${this.options.displayUrl} not connected within ${timeoutMs} ms (${this.lastError?.message ?? this.state})`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private fail(error: Error): void {
    this.lastError = error;
    this.rejectWaiters(new UnavailableError(`rabbitmq reconnect gave up: ${error.message}`, { cause: error }));
  }

  private rejectWaiters(error: Error): void {
    this.state = 'closed';
    this.model = undefined;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  async close(): Promise<void> {
    this.rejectWaiters(new BrokerError('rabbitmq transport is closed: nothing can be sent or received after close()'));
    const recovering = this.recovering;
    this.recovering = undefined;
    await recovering?.close().catch(() => undefined);
  }
}
