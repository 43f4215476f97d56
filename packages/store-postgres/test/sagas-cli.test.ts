import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createApp,
  MemoryBroker,
  MemoryTransport,
  sagaTopic,
  silentLogger,
  type App,
  type SagaInstance,
  type SagaStatus,
} from '@tandem/core';
import { main } from '@tandem/core/cli';
import { checkoutWorld, eventually } from '@tandem/core/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { pgliteStore, postgresStore, type SqlStore } from '../src/index.js';
import { PG_URL, testSchema, postgresAvailable } from './harness.js';

const pgAvailable = await postgresAvailable();

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: () => out.join(''),
    err: () => err.join(''),
    io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env },
  };
}

async function cli(argv: string[], env: Record<string, string> = {}) {
  const run = io(env);
  const code = await main(argv, run.io);
  return { code, out: run.out(), err: run.err() };
}

/** A store backend: how the test opens it and the URL the CLI is given. */
interface Backend {
  name: string;
  available: boolean;
  url: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  open(): SqlStore<any>;
  dispose(): Promise<void>;
}

function postgresBackend(): Backend {
  const schema = testSchema();
  return {
    name: 'PostgreSQL',
    available: pgAvailable,
    url: `${PG_URL}?schema=${schema}`,
    open: () => postgresStore({ connectionString: PG_URL, schema, cleanupIntervalMs: 0 }),
    async dispose() {
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}

function pgliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-sagas-cli-'));
  return {
    name: 'PGlite',
    available: true,
    // PGlite takes one process at a time: the app is stopped whenever the CLI runs.
    url: `pglite://${dir}`,
    open: () => pgliteStore({ dataDir: dir, cleanupIntervalMs: 0 }),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

const LEGACY = 'ops.legacy';
const HOUR = 3_600_000;

/** Instances of a saga no app runs, written through the SagaStore: the statuses an app passes through too fast to see. */
function legacyInstances(now: number): SagaInstance[] {
  const base = (id: string, status: SagaStatus, updatedAgo: number): SagaInstance => ({
    saga: LEGACY,
    id,
    version: 1,
    status,
    state: { step: id },
    data: { timeouts: {}, compensations: [], pending: {}, history: [] },
    createdAt: now - 3 * HOUR,
    updatedAt: now - updatedAgo,
  });
  const waiting = base('old-running', 'running', 2 * HOUR);
  waiting.data = {
    timeouts: { reminder: { dueAt: now + 5 * 60_000, token: 'tok-1' } },
    compensations: [
      { kind: 'event', name: 'legacy.cancelled', topic: 'legacy.cancelled', version: 1, data: { id: 'old-running' } },
      { kind: 'command', name: 'legacy.refund', input: { id: 'old-running' } },
    ],
    pending: { 'cmd-1': { command: 'legacy.charge' } },
    history: [{ at: now - 2 * HOUR, input: 'legacy.started', messageId: 'msg-1', status: 'running' }],
  };
  waiting.dueAt = now + 5 * 60_000;
  const undoing = base('old-compensating', 'compensating', 2 * HOUR);
  undoing.data.reason = 'customer cancelled';
  // As the runtime leaves one: the refund that failed is kept apart, the cancellation still queued.
  const parked = base('old-parked', 'parked', 2 * HOUR);
  parked.data.reason = 'payment failed';
  parked.data.error = 'refund service unreachable';
  parked.data.failed = { kind: 'command', name: 'legacy.refund', input: { id: 'old-parked' } };
  parked.data.compensations = [
    { kind: 'event', name: 'legacy.cancelled', topic: 'legacy.cancelled', version: 1, data: { id: 'old-parked' } },
  ];
  return [
    waiting,
    undoing,
    parked,
    base('old-completed', 'completed', 3 * HOUR),
    base('fresh-running', 'running', 1_000),
  ];
}

/** Unpublished outbox records on a saga's command topic, as the dispatcher would read them. */
async function commandsInOutbox(store: SqlStore<unknown>, saga: string): Promise<Array<Record<string, unknown>>> {
  const { rows } = await store.driver.query<{ topic: string; body: Uint8Array }>(
    `SELECT topic, body FROM ${store.tables.outbox} WHERE published_at IS NULL ORDER BY seq`,
  );
  return rows
    .filter((r) => r.topic === `${sagaTopic(saga)}.commands`)
    .map((r) => JSON.parse(new TextDecoder().decode(r.body)) as Record<string, unknown>);
}

describe.each([postgresBackend(), pgliteBackend()])('tandem sagas on $name', (backend) => {
  afterAll(() => backend.dispose());

  it.skipIf(!backend.available)(
    'lists, shows and retries instances written through the saga store',
    { timeout: 120_000 },
    async () => {
      const now = Date.now();
      const writer = backend.open();
      await writer.connect();
      await writer.transaction(async (tx) => {
        for (const instance of legacyInstances(now)) expect(await writer.sagas.save(tx, instance, 0)).toBe(true);
      });
      await writer.close();

      const listed = await cli(['sagas', 'list', '--saga', LEGACY, '--store', backend.url]);
      expect(listed.err).toBe('');
      expect(listed.code).toBe(0);
      // running, compensating, parked, completed, compensated, then the oldest open change.
      expect(listed.out).toMatch(
        /^SAGA\s+RUNNING\s+COMPENSATING\s+PARKED\s+COMPLETED\s+COMPENSATED\s+OLDEST OPEN CHANGE$/m,
      );
      expect(listed.out).toMatch(/^ops\.legacy\s+2\s+1\s+1\s+1\s+0\s+2h00m ago$/m);
      expect(listed.out).toMatch(
        /^ops\.legacy\s+old-running\s+running\s+3h00m\s+\S+Z \(2h00m ago\)\s+reminder in 4m\d\ds$/m,
      );
      expect(listed.out).toMatch(/^ops\.legacy\s+old-parked\s+parked\s+.*payment failed: refund service unreachable$/m);
      expect(listed.out).toMatch(/^ops\.legacy\s+old-compensating\s+compensating\s+.*customer cancelled$/m);
      expect(listed.out).toMatch(/^ops\.legacy\s+fresh-running\s+running\s/m);

      const stuck = await cli(['sagas', 'list', '--stuck-for', '1h', '--json'], { TANDEM_STORE_URL: backend.url });
      expect(stuck.code).toBe(0);
      const stuckIds = stuck.out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id);
      expect(stuckIds.sort()).toEqual(['old-compensating', 'old-parked', 'old-running']);
      const parkedOnly = await cli(['sagas', 'list', '--status', 'parked', '--json', '--store', backend.url]);
      expect(
        parkedOnly.out
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as unknown),
      ).toEqual([expect.objectContaining({ saga: LEGACY, id: 'old-parked', error: 'refund service unreachable' })]);
      const limited = await cli(['sagas', 'list', '--limit', '2', '--json', '--store', backend.url]);
      expect(limited.out.trim().split('\n')).toHaveLength(2);

      const shown = await cli(['sagas', 'show', LEGACY, 'old-running', '--store', backend.url]);
      expect(shown.code).toBe(0);
      expect(shown.out).toMatch(/^status +running \(version 1\)$/m);
      expect(shown.out).toContain('state\n  {\n    "step": "old-running"\n  }\n');
      expect(shown.out).toContain('pending commands (1)\n  legacy.charge  cmd-1\n');
      expect(shown.out).toMatch(/pending timeouts \(1\)\n {2}reminder {2}due \S+Z \(in 4m\d\ds\)\n/);
      // Newest first: the order compensation runs them.
      expect(shown.out).toContain(
        '  1. command legacy.refund {"id":"old-running"}\n  2. event legacy.cancelled {"id":"old-running"}\n',
      );
      expect(shown.out).toMatch(
        /history \(1, oldest first\)\n {2}\S+Z {2}legacy\.started {2}-> running {2}\[msg-1\]\n/,
      );
      const json = await cli(['sagas', 'show', LEGACY, 'old-running', '--json', '--store', backend.url]);
      expect(JSON.parse(json.out)).toMatchObject({
        status: 'running',
        state: { step: 'old-running' },
        pending: { 'cmd-1': { command: 'legacy.charge' } },
        timeouts: { reminder: { dueAt: new Date(now + 5 * 60_000).toISOString(), token: 'tok-1' } },
        nextTimeout: { name: 'reminder' },
        history: [{ input: 'legacy.started', at: new Date(now - 2 * HOUR).toISOString() }],
      });
      const parked = await cli(['sagas', 'show', LEGACY, 'old-parked', '--store', backend.url]);
      expect(parked.out).toContain(`failed        command legacy.refund {"id":"old-parked"}`);

      const missing = await cli(['sagas', 'show', LEGACY, 'nope', '--store', backend.url]);
      expect(missing.code).toBe(1);
      expect(missing.err).toContain(`saga '${LEGACY}' has no instance 'nope'`);
      const notParked = await cli(['sagas', 'retry', LEGACY, 'old-running', '--store', backend.url]);
      expect(notParked.code).toBe(1);
      expect(notParked.err).toContain("instance 'old-running' is running, not parked");
      const notFound = await cli(['sagas', 'retry', LEGACY, 'nope', '--store', backend.url]);
      expect(notFound.code).toBe(1);
      expect(notFound.err).toContain(`saga '${LEGACY}' has no instance 'nope'`);

      const retried = await cli(['sagas', 'retry', LEGACY, 'old-parked', '--store', backend.url]);
      expect(retried.err).toBe('');
      expect(retried.code).toBe(0);
      expect(retried.out).toContain(
        `saga '${LEGACY}' instance 'old-parked' is compensating; compensation legacy.refund is in the outbox`,
      );
      const store = backend.open();
      await store.connect();
      try {
        const after = (await store.sagas.get(LEGACY, 'old-parked'))!;
        expect(after.status).toBe('compensating');
        expect(after.data.error).toBeUndefined();
        expect(after.data.failed).toBeUndefined();
        expect(after.data.history.at(-1)).toMatchObject({ input: 'operator:retry', status: 'compensating' });
        expect(await commandsInOutbox(store, LEGACY)).toEqual([
          expect.objectContaining({
            saga: LEGACY,
            id: 'old-parked',
            command: 'legacy.refund',
            input: { id: 'old-parked' },
            compensation: true,
          }),
        ]);
      } finally {
        await store.close();
      }
    },
  );

  it.skipIf(!backend.available)('explains what is missing, with exit code 2', async () => {
    const noStore = await cli(['sagas', 'list']);
    expect(noStore.code).toBe(2);
    expect(noStore.err).toContain('TANDEM_STORE_URL');
    const memory = await cli(['sagas', 'list', '--store', 'memory://']);
    expect(memory.code).toBe(2);
    expect(memory.err).toContain('has no saga instances this command can reach');
    const badStatus = await cli(['sagas', 'list', '--status', 'stuck', '--store', backend.url]);
    expect(badStatus.code).toBe(2);
    expect(badStatus.err).toContain(
      "--status: expected one of running, compensating, completed, compensated, parked, got 'stuck'",
    );
    const badDuration = await cli(['sagas', 'list', '--stuck-for', '10 minutes', '--store', backend.url]);
    expect(badDuration.code).toBe(2);
    expect(badDuration.err).toContain('--stuck-for: expected a duration like 90s, 10m, 2h or 1d');
    const endedStuck = await cli([
      'sagas',
      'list',
      '--stuck-for',
      '1h',
      '--status',
      'completed',
      '--store',
      backend.url,
    ]);
    expect(endedStuck.code).toBe(2);
    const noId = await cli(['sagas', 'show', 'checkout', '--store', backend.url]);
    expect(noId.code).toBe(2);
    expect(noId.err).toContain("pass the saga's name and the instance's id");
    const unknown = await cli(['sagas', 'resume']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("expected 'list', 'show' or 'retry'");
  });
});

// A checkout saga run by an app: the instances the CLI reads are the runtime's own.
describe.each([postgresBackend(), pgliteBackend()])('tandem sagas over a running checkout saga on $name', (backend) => {
  const broker = new MemoryBroker();
  const world = checkoutWorld();
  const checkout = world.checkout.name;
  const { Placed, Delivered, Release, Authorize, Cancelled } = world.contracts;
  let app: App | undefined;
  let store: SqlStore<unknown>;

  afterAll(async () => {
    await app?.stop();
    await backend.dispose();
  });

  async function startApp(): Promise<void> {
    store = backend.open();
    app = createApp({
      name: world.prefix,
      services: [...world.services, world.checkout],
      broker: new MemoryTransport({ broker }),
      store,
      logger: silentLogger,
      sagaClock: { pollMs: 50 },
    });
    await app.start();
  }

  const instance = (id: string) => store.sagas.get(checkout, id);
  const statusOf = async (id: string) => (await instance(id))?.status;
  const stageOf = async (id: string) => ((await instance(id))?.state as { stage?: string } | undefined)?.stage;
  const place = (orderId: string) => app!.publish(Placed, { orderId, amount: 10 }, { key: orderId });

  it(
    'shows every status the saga passes through, and a retried parked instance compensates',
    { timeout: 60_000 },
    async () => {
      await startApp();
      await place('done');
      await place('open');
      await eventually('done is shipping', async () => (await stageOf('done')) === 'shipping');
      await eventually('open is shipping', async () => (await stageOf('open')) === 'shipping');
      await app!.publish(Delivered, { orderId: 'done' }, { key: 'done' });
      await eventually('done completes', async () => (await statusOf('done')) === 'completed');
      world.paymentMode = 'decline';
      await place('declined');
      await eventually('declined is compensated', async () => (await statusOf('declined')) === 'compensated');
      world.releaseMode = 'fail';
      await place('stuck');
      await eventually('stuck is parked', async () => (await statusOf('stuck')) === 'parked', 20_000);
      // Stopped, so that the retried compensation waits in the outbox where the test can see it.
      await app!.stop();
      app = undefined;

      const listed = await cli(['sagas', 'list', '--store', backend.url]);
      expect(listed.code).toBe(0);
      expect(listed.out).toMatch(new RegExp(`^${checkout}\\s+1\\s+0\\s+1\\s+1\\s+1\\s+\\d+s ago$`, 'm'));
      expect(listed.out).toMatch(
        new RegExp(`^${checkout}\\s+stuck\\s+parked\\s.*payment failed: card declined for stuck`, 'm'),
      );
      for (const [id, status] of [
        ['done', 'completed'],
        ['open', 'running'],
        ['declined', 'compensated'],
      ])
        expect(listed.out).toMatch(new RegExp(`^${checkout}\\s+${id}\\s+${status}\\s`, 'm'));

      const shown = await cli(['sagas', 'show', checkout, 'stuck', '--store', backend.url]);
      expect(shown.code).toBe(0);
      expect(shown.out).toMatch(/^reason +payment failed: card declined for stuck/m);
      expect(shown.out).toMatch(/^error +.*stock service is down for releases/m);
      expect(shown.out).toContain(`failed        command ${Release.name} {"orderId":"stuck"}`);
      expect(shown.out).toContain(`1. event ${Cancelled.name} {"orderId":"stuck"} (key stuck)`);
      expect(shown.out).toMatch(new RegExp(`Z  ${Placed.name}  -> running  \\[`));
      expect(shown.out).toMatch(new RegExp(`Z  reply:${Authorize.name}  -> compensating`));

      const retried = await cli(['sagas', 'retry', checkout, 'stuck', '--store', backend.url]);
      expect(retried.code).toBe(0);
      store = backend.open();
      await store.connect();
      expect(await statusOf('stuck')).toBe('compensating');
      expect(await commandsInOutbox(store, checkout)).toEqual([
        expect.objectContaining({
          id: 'stuck',
          command: Release.name,
          input: { orderId: 'stuck' },
          compensation: true,
        }),
      ]);
      await store.close();

      // The app carries the compensation on once the stock service takes releases again.
      world.releaseMode = 'ok';
      await startApp();
      await eventually('stuck is compensated', async () => (await statusOf('stuck')) === 'compensated');
      expect(world.stock.get('stuck')).toBe('released');
    },
  );
});
