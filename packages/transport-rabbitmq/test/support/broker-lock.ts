/**
 * The broker-restart test stops the whole RabbitMQ node, which would break suites using
 * it at the same moment in other vitest workers. This readers-writer lock across
 * processes (files in the temp folder) lets suites share the broker and makes the
 * restart test wait for them, and them for it. A holder that died is ignored.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

const dir = join(tmpdir(), 'tandem-rabbitmq-broker-lock');
const EXCLUSIVE = 'exclusive';
const WAIT_MS = 240_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holderAlive(file: string): boolean {
  try {
    return alive(Number(readFileSync(join(dir, file), 'utf8')));
  } catch {
    return false;
  }
}

function liveShared(): string[] {
  return readdirSync(dir).filter((file) => {
    if (!file.startsWith('shared-')) return false;
    if (holderAlive(file)) return true;
    rmSync(join(dir, file), { force: true });
    return false;
  });
}

function exclusiveHeld(): boolean {
  try {
    if (holderAlive(EXCLUSIVE)) return true;
    rmSync(join(dir, EXCLUSIVE), { force: true });
    return false;
  } catch {
    return false;
  }
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 200));

async function acquireShared(): Promise<() => void> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `shared-${process.pid}-${randomBytes(4).toString('hex')}`);
  const end = Date.now() + WAIT_MS;
  for (;;) {
    writeFileSync(file, String(process.pid));
    if (!exclusiveHeld()) return () => rmSync(file, { force: true });
    rmSync(file, { force: true });
    if (Date.now() > end) throw new Error('waited too long for the RabbitMQ restart test to finish');
    await pause();
  }
}

async function acquireExclusive(): Promise<() => void> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, EXCLUSIVE);
  const end = Date.now() + WAIT_MS;
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      exclusiveHeld();
      if (Date.now() > end) throw new Error('waited too long for another RabbitMQ restart test');
      await pause();
    }
  }
  while (liveShared().length > 0) {
    if (Date.now() > end) {
      rmSync(file, { force: true });
      throw new Error('waited too long for other RabbitMQ suites to finish');
    }
    await pause();
  }
  return () => rmSync(file, { force: true });
}

/** Call at the top of a suite that uses the broker: it never runs during a broker restart. */
export function sharedBrokerUse(): void {
  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await acquireShared();
  }, WAIT_MS + 10_000);
  afterAll(() => release?.());
}

/** Call at the top of a suite that stops the broker: it runs alone. */
export function exclusiveBrokerUse(): void {
  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = await acquireExclusive();
  }, WAIT_MS + 10_000);
  afterAll(() => release?.());
}
