// The shared side of the cross-process lock in packages/transport-rabbitmq/test/support/
// broker-lock.ts: RabbitMQ's broker-restart test stops the node and waits for holders of
// a shared lock, so a fault run never sees a restart it did not schedule (and never
// delays that test for longer than one run).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = join(tmpdir(), 'tandem-rabbitmq-broker-lock');
const WAIT_MS = 240_000;

function exclusiveHeld() {
  let pid;
  try {
    pid = Number(readFileSync(join(dir, 'exclusive'), 'utf8'));
  } catch {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Waits while a broker restart test runs; returns the release function. */
export async function acquireSharedBroker() {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `shared-${process.pid}-${randomBytes(4).toString('hex')}`);
  const end = Date.now() + WAIT_MS;
  for (;;) {
    writeFileSync(file, String(process.pid));
    if (!exclusiveHeld()) return () => rmSync(file, { force: true });
    rmSync(file, { force: true });
    if (Date.now() > end) throw new Error('chaos: waited 4 minutes for the RabbitMQ restart test to finish');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
