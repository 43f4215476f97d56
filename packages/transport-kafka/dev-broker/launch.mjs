#!/usr/bin/env node
// Starts bin/mock-kafka (librdkafka's mock cluster) for tests; see README.md.
// Library: const { bootstrap, stop } = await startMockKafka({ topics: ['orders.placed:3'] })
// CLI:     node launch.mjs [--brokers N] orders.placed:3 other:3
import { spawn, execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const binary = join(here, 'bin', 'mock-kafka');
const source = join(here, 'mock-kafka.c');

let building = null; // one build per process even if many tests start brokers at once

async function ensureBuilt() {
  if (existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs) return;
  building ??= promisify(execFile)('sh', [join(here, 'build.sh')]).catch((err) => {
    building = null;
    // build.sh's own message (e.g. the librdkafka-dev hint) is the useful part.
    throw new Error((err.stderr || err.message).trim());
  });
  await building;
}

/**
 * @param {{ topics?: string[], brokers?: number, timeoutMs?: number }} [options]
 */
export async function startMockKafka({ topics = [], brokers = 1, timeoutMs = 10000 } = {}) {
  await ensureBuilt();
  // --stdin-topics lets createTopic() add topics later over the same pipe whose
  // closing also kills the broker when this process dies.
  const child = spawn(binary, ['--brokers', String(brokers), '--stdin-topics', ...topics], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdin.on('error', () => {}); // EPIPE after the child exited is reported via 'exit'

  const lines = createInterface({ input: child.stdout });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const pending = []; // createTopic() callers, answered in order

  const bootstrap = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mock-kafka did not report BOOTSTRAP within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`mock-kafka exited (${signal ?? code}) before it was ready\n${stderr}`.trim()));
      for (const p of pending.splice(0)) p.reject(new Error('mock-kafka exited'));
    });
    lines.on('line', (line) => {
      if (line.startsWith('BOOTSTRAP=')) {
        clearTimeout(timer);
        resolve(line.slice('BOOTSTRAP='.length));
      } else if (/^(CREATED|PUSHED|DOWN|UP|ERROR) /.test(line)) {
        const p = pending.shift();
        if (!p) return;
        if (pending.length === 0) child.stdout.unref();
        if (!line.startsWith('ERROR ')) p.resolve();
        else p.reject(new Error(`mock-kafka: ${line.slice('ERROR '.length)}`));
      }
    });
  });

  // A test that forgets stop() must not hang its runner: nothing here holds
  // the event loop, and when this process exits the child sees stdin EOF.
  for (const handle of [child, child.stdin, child.stdout, child.stderr]) handle.unref();

  function ask(line) {
    return new Promise((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null) return reject(new Error('mock-kafka exited'));
      pending.push({ resolve, reject });
      child.stdout.ref(); // an awaited answer must keep the process alive
      child.stdin.write(`${line}\n`);
    });
  }

  let stopping = null;
  return {
    bootstrap,
    pid: child.pid,
    exited,
    /** Creates a topic ("name" or "name:partitions") on the running cluster. */
    createTopic(spec) {
      return ask(spec);
    },
    /** Makes the next requests of one type (Kafka ApiKey, e.g. 1 = Fetch) fail with these error codes. */
    failNextRequests(apiKey, errorCodes) {
      return ask(`!errors ${apiKey} ${errorCodes.join(' ')}`);
    },
    /** Drops the connections of a broker (-1: all) and refuses new ones until brokerUp, like a restart. */
    brokerDown(id = -1) {
      return ask(`!down ${id}`);
    },
    brokerUp(id = -1) {
      return ask(`!up ${id}`);
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(killer);
        }
        child.stdin.destroy();
        lines.close();
      })();
      return stopping;
    },
  };
}

async function main(argv) {
  let brokers = 1;
  const topics = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--brokers') brokers = Number(argv[++i]);
    else if (argv[i] === '-h' || argv[i] === '--help') {
      console.log('usage: node launch.mjs [--brokers N] [topic[:partitions] ...]');
      return;
    } else topics.push(argv[i]);
  }
  const broker = await startMockKafka({ topics, brokers });
  console.log(`BOOTSTRAP=${broker.bootstrap}`);
  const keepAlive = setInterval(() => {}, 1 << 30); // the broker handles are unref'd
  const shutdown = () => broker.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  // Ctrl-C reaches the child too (same process group); it exits 0 on SIGINT.
  const { code, signal } = await broker.exited;
  clearInterval(keepAlive);
  if (code !== 0) console.error(`mock-kafka exited unexpectedly (${signal ?? code})`);
  process.exit(code === 0 ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
