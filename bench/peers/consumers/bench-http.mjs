// BENCH_HTTP for the Tandem consumers: `plain` gives the app an idle HTTP server on a free
// port; `console` the same server with the console's API and page mounted and turned on
// (whatever NODE_ENV says) with nobody looking: what the console costs the event path while
// unwatched (bench/console-overhead). Without BENCH_HTTP the app has no server.
import { silentLogger } from '@tandem/core';

/** The app options for the mode, and what the consumer prints as ready: the server's URL, or `fallback`. */
export async function benchHttp(mode = process.env.BENCH_HTTP) {
  if (mode === undefined || mode === '') return { options: {}, readyAs: (fallback) => fallback };
  if (mode !== 'plain' && mode !== 'console') throw new Error(`BENCH_HTTP: '${mode}'; expected plain or console`);
  const { httpServer } = await import('@tandem/transport-http');
  let mounts = [];
  if (mode === 'console') {
    const { consoleApi, consolePage } = await import('@tandem/console');
    // On explicitly: the benches run with NODE_ENV=production, where the console is off by default.
    const on = { enabled: true, authorize: () => true };
    mounts = [consoleApi(on), consolePage(on)];
  }
  const http = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger, mounts });
  return { options: { http }, readyAs: () => http.url };
}
