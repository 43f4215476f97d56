import { createApp, createLogger, fromEnv, type App, type EnvConfig } from '@tandem/core';
import { httpServer, type HttpServer } from '@tandem/transport-http';
import { Orders } from './orders.js';
import { Shipping } from './shipping.js';

/** Both services in one process, on whatever broker and store the environment names. */
export async function buildApp(
  env: Record<string, string | undefined> = process.env,
): Promise<{ app: App; server: HttpServer; config: EnvConfig }> {
  const config = await fromEnv(env);
  const server = httpServer({ port: config.httpPort, host: config.httpHost });
  const app = createApp({
    services: [Orders, Shipping],
    broker: config.broker,
    store: config.store,
    http: server,
    logger: createLogger({ level: config.logLevel }),
  });
  return { app, server, config };
}
