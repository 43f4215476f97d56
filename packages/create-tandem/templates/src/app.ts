import { createApp, createLogger, fromEnv, type App } from '@tandem/core';
import { httpServer, type HttpServer } from '@tandem/transport-http';
import { Tasks } from './tasks.js';

/** The app on whatever broker, store and port the environment names (see .env.example). */
export async function buildApp(env: Record<string, string | undefined> = process.env): Promise<{
  app: App;
  server: HttpServer;
}> {
  const config = await fromEnv(env);
  const server = httpServer({ port: config.httpPort, host: config.httpHost });
  const app = createApp({
    services: [Tasks],
    broker: config.broker,
    store: config.store,
    http: server,
    logger: createLogger({ level: config.logLevel }),
  });
  return { app, server };
}
