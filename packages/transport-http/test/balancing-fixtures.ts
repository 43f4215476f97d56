import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createApp, defineCommand, defineQuery, service, silentLogger, type App } from '@tandem/core';
import { httpServer } from '../src/index.js';

export const WhoAmI = defineQuery('inventory.whoami', {
  input: z.object({ ms: z.number().optional() }),
  output: z.object({ instance: z.string() }),
});
export const Reserve = defineCommand('inventory.reserve', {
  input: z.object({ sku: z.string() }),
  output: z.object({ instance: z.string() }),
});

/**
 * One instance of the inventory service: a real app whose HTTP handler is mounted in a
 * node:http server of the test's own, so the test can kill it (every connection torn
 * down at once, as when the process dies) and start it again on the same port.
 */
export class InventoryInstance {
  private server: Server | undefined;
  private constructor(
    readonly name: string,
    readonly host: string,
    private port: number,
    private readonly app: App,
    private readonly counts: { served: number },
    private readonly handler: Parameters<typeof createServer>[1],
  ) {}

  /** Listens on `host` (any 127.x.y.z address is this machine) and `port` (0: any free port). */
  static async start(name: string, host = '127.0.0.1', port = 0): Promise<InventoryInstance> {
    const http = httpServer({ listen: false, logger: silentLogger });
    const counts = { served: 0 };
    const answer = async (ms?: number) => {
      counts.served++;
      if (ms) await new Promise((resolve) => setTimeout(resolve, ms));
      return { instance: name };
    };
    const inventory = service('inventory')
      .query(WhoAmI, ({ ms }) => answer(ms))
      .command(Reserve, () => answer());
    const app = createApp({ services: [inventory], http, logger: silentLogger });
    await app.start();
    const instance = new InventoryInstance(name, host, port, app, counts, http.handler);
    await instance.listen();
    return instance;
  }

  /** Calls this instance has answered. */
  get served(): number {
    return this.counts.served;
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  get listeningPort(): number {
    return this.port;
  }

  /** Listens again, on the same port after the first time. */
  async listen(): Promise<void> {
    const server = createServer(this.handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops every connection, requests in progress included. */
  kill(): void {
    const server = this.server;
    this.server = undefined;
    server?.close();
    server?.closeAllConnections();
  }

  async stop(): Promise<void> {
    this.kill();
    await this.app.stop();
  }
}

export interface CallRecord {
  started: number;
  ended: number;
  error?: unknown;
}

/** Keeps `workers` calls in flight until stopped, recording each one. */
export function keepCalling(workers: number, call: () => Promise<unknown>) {
  const records: CallRecord[] = [];
  let running = true;
  const done = Promise.all(
    Array.from({ length: workers }, async () => {
      while (running) {
        const started = performance.now();
        try {
          await call();
          records.push({ started, ended: performance.now() });
        } catch (error) {
          records.push({ started, ended: performance.now(), error });
        }
      }
    }),
  );
  return {
    records,
    /** Calls started before `at` and not finished by then. */
    inFlightAt: (at: number) => records.filter((r) => r.started <= at && r.ended > at).length,
    async stop() {
      running = false;
      await done;
    },
  };
}
