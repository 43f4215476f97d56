// The five services as processes, started, stopped and killed one at a time, and
// supervised: a service that exits on its own is recorded and restarted after a second,
// as a container orchestrator would.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

export const SERVICES = ['orders', 'inventory', 'payments', 'shipping', 'notifications'];
const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const RESTART_AFTER_MS = 1_000;
const TAIL_LINES = 60;

/** The lines of a crash report that say what happened: the throw site's message and the 'error' event's emitter. */
function crashReason(tail) {
  const telling = tail.filter((l) => /Unhandled|^\s*\w*Error\b|^\s*error: |^Emitted '/.test(l));
  return (telling.length > 0 ? telling : tail.slice(-3)).slice(0, 4);
}

/**
 * A free port below Linux's ephemeral range (32768+), where `listen(0)` of other programs
 * on this machine and outgoing connections take theirs, so it is rarely taken before the
 * service binds it.
 */
async function freePort(taken) {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.includes(port)) continue;
    const server = createServer();
    const free = await new Promise((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param {{ env: Record<string, string>, logDir: string, log: (line: string) => void, stamp: () => string }} options
 *   stamp: the run's clock, for the logs and the exits
 */
export async function createCluster({ env, logDir, log, stamp }) {
  const ports = {};
  for (const name of SERVICES) ports[name] = await freePort(Object.values(ports));
  const urls = Object.fromEntries(
    SERVICES.map((n) => [`TANDEM_SERVICE_${n.toUpperCase()}_URL`, `http://127.0.0.1:${ports[n]}`]),
  );
  const logs = Object.fromEntries(
    SERVICES.map((n) => [n, createWriteStream(join(logDir, `${n}.log`), { flags: 'a' })]),
  );
  const tails = Object.fromEntries(SERVICES.map((n) => [n, []]));
  /** @type {Record<string, { child: import('node:child_process').ChildProcess, exited: Promise<{ code: number | null, signal: string | null }>, expected: boolean } | undefined>} */
  const running = {};
  const unexpectedExits = [];
  const stops = [];
  let closing = false;
  /** Set when a service cannot run at all (its port was taken): the run stops instead of reading another program's answers. */
  let fatal;

  function start(name) {
    if (running[name]) return;
    const child = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        ...env,
        ...urls,
        SHOP_SERVICES: name,
        // node-postgres's application_name: pg_stat_activity tells each service's connections apart.
        PGAPPNAME: `shop-${name}`,
        TANDEM_HTTP_PORT: String(ports[name]),
        TANDEM_HTTP_HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    logs[name].write(`--- ${stamp()} started (pid ${child.pid})\n`);
    tails[name].length = 0;
    const keep = (chunk) => {
      logs[name].write(chunk);
      const tail = tails[name];
      tail.push(...String(chunk).split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - TAIL_LINES));
    };
    child.stdout.on('data', (c) => logs[name].write(c));
    child.stderr.on('data', keep);
    const entry = { child, expected: false, ready: false, exited: undefined };
    entry.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        logs[name].write(`--- ${stamp()} exited (${signal ?? code})\n`);
        if (running[name] === entry) running[name] = undefined;
        if (!entry.expected && !closing && tails[name].some((l) => l.includes('EADDRINUSE'))) {
          fatal = `${name} could not listen on port ${ports[name]}: another program took it; run again`;
        } else if (!entry.expected && !closing) {
          unexpectedExits.push({ name, code, signal, at: stamp(), reason: crashReason(tails[name]) });
          log(`${name} exited on its own (${signal ?? code}); restarting it in ${RESTART_AFTER_MS} ms`);
          setTimeout(() => !closing && start(name), RESTART_AFTER_MS);
        }
        resolve({ code, signal });
      }),
    );
    running[name] = entry;
  }

  async function ready(name) {
    if (fatal) throw new Error(fatal);
    // Only a running process of ours counts: after it died, its port may answer for someone else.
    const entry = running[name];
    if (!entry) return false;
    try {
      const res = await request(`http://127.0.0.1:${ports[name]}/health/ready`, {
        headersTimeout: 2_000,
        bodyTimeout: 2_000,
      });
      await res.body.dump();
      if (res.statusCode === 200 && running[name] === entry) entry.ready = true;
      return entry.ready === true;
    } catch {
      return false;
    }
  }

  /** Waits until the services answer ready; false after `timeoutMs`. */
  async function untilReady(names = SERVICES, timeoutMs = 60_000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(names.map(ready));
      if (states.every(Boolean)) return true;
      if (Date.now() > end) return false;
      await sleep(100);
    }
  }

  /**
   * Stops a service with `signal` and waits for it to exit; after `graceMs` a SIGTERM
   * turns into SIGKILL. Returns how it ended.
   */
  async function stop(name, signal, graceMs = 15_000) {
    const entry = running[name];
    if (!entry) return undefined;
    entry.expected = true;
    const t0 = Date.now();
    entry.child.kill(signal);
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      entry.child.kill('SIGKILL');
    }, graceMs);
    const { code, signal: by } = await entry.exited;
    clearTimeout(timer);
    const result = { name, signal, code, by, ms: Date.now() - t0, hung };
    // A service still starting may die of the signal before it installed its handler; that is no failed stop.
    if (signal === 'SIGTERM' && entry.ready) stops.push(result);
    return result;
  }

  return {
    ports,
    /** The process id of a service while it runs. */
    pid: (name) => running[name]?.child.pid,
    orders: `http://127.0.0.1:${ports.orders}`,
    start,
    untilReady,
    stop,
    get fatal() {
      return fatal;
    },
    /** Exits nobody asked for (a crash), each with the last lines its process wrote to stderr. */
    unexpectedExits,
    /** Every SIGTERM: how long the graceful stop took, its exit code, and whether it had to be killed. */
    stops,
    async close() {
      closing = true;
      await Promise.all(SERVICES.map((name) => stop(name, 'SIGTERM')));
      for (const name of SERVICES) running[name]?.child.kill('SIGKILL');
      await Promise.all(SERVICES.map((n) => new Promise((resolve) => logs[n].end(resolve))));
    },
  };
}
