/**
 * The generator end to end, as a new user runs it: every package packed with
 * `npm run release:pack`'s script, a project generated with --tarballs, `npm install`,
 * `npm test`, and `npm start` answering a command and a query (after the event handler
 * ran), on (a) the in-process broker and memory store and (b) RabbitMQ and PostgreSQL.
 * Needs the npm registry for the projects' other dependencies (one shared npm cache,
 * --prefer-offline); skips without it unless TANDEM_REQUIRE_SERVICES=1.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeTcp, serviceAvailable } from '@tandem/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedBrokerUse } from '../../transport-rabbitmq/test/support/broker-lock.js';
import { main } from '../src/index.js';
import { addAndReadTask, npm, npmStart, registryReachable, releasePack, run } from './project-runner.js';

const offline = await registryReachable();
if (offline !== undefined && process.env.TANDEM_REQUIRE_SERVICES === '1') {
  throw new Error(`the npm registry is required (TANDEM_REQUIRE_SERVICES=1) but unreachable: ${offline}`);
}
if (offline !== undefined) {
  console.warn(`[tandem] the npm registry is unreachable (${offline}); skipping the scaffold test.`);
}

const io = { out: () => undefined, err: () => undefined };
// RabbitMQ's restart test stops the broker; it waits for this file, and this file for it.
sharedBrokerUse();

describe.skipIf(offline !== undefined)('create-tandem: a generated project installs, tests and serves', () => {
  // Made in beforeAll, so a skipped run leaves nothing behind.
  let work = '';
  let tarballs = '';
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'tandem-scaffold-'));
    tarballs = join(work, 'tarballs');
    const packed = await releasePack(tarballs);
    expect(packed.map((p) => p.name).sort()).toContain('@tandem/core');
  }, 240_000);

  async function generateInstallTest(name: string, flags: string[]): Promise<string> {
    expect(await main([name, '--tarballs', tarballs, ...flags], io, work)).toBe(0);
    const dir = join(work, name);
    await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund'], dir);
    const tested = await run(npm, ['test'], dir, { CI: '1', NO_COLOR: '1' });
    expect(tested).toMatch(/Tests\s+2 passed/);
    return dir;
  }

  it('memory broker and memory store', { timeout: 240_000 }, async () => {
    const dir = await generateInstallTest('svc-memory', []);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toContain('TANDEM_BROKER_URL=memory://');
    const app = await npmStart(dir, { TANDEM_HTTP_PORT: '0', TANDEM_HTTP_HOST: '127.0.0.1' });
    try {
      expect(await addAndReadTask(app.url)).toMatchObject({ announced: true });
    } finally {
      await app.stop();
    }
  });

  describe('RabbitMQ and PostgreSQL', () => {
    const database = `tandem_scaffold_${process.pid}_${Date.now()}`;
    const admin = 'postgres://postgres@127.0.0.1:5432/test';
    let up = false;

    afterAll(async () => {
      if (!up) return;
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await client.end();
    });

    it('amqp broker and postgres store', { timeout: 240_000 }, async (t) => {
      // Probed here, not while the file is collected: only now is the shared hold on the
      // broker taken (the RabbitMQ restart test stops the broker and waits for holders).
      up =
        (await serviceAvailable('RabbitMQ', () => probeTcp('127.0.0.1', 5672, 5_000))) &&
        (await serviceAvailable('PostgreSQL', () => probeTcp('127.0.0.1', 5432, 5_000)));
      if (!up) return t.skip();
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      await client.query(`CREATE DATABASE ${database}`);
      await client.end();

      const dir = await generateInstallTest('svc-amqp-pg', ['--broker', 'amqp', '--store', 'postgres']);
      const env = readFileSync(join(dir, '.env'), 'utf8');
      expect(env).toContain('TANDEM_BROKER_URL=amqp://');
      expect(env).toContain('TANDEM_STORE_URL=postgres://');
      expect(readFileSync(join(dir, 'compose.yaml'), 'utf8')).toMatch(/rabbitmq:[\s\S]*postgres:/);
      // The broker URL comes from the generated .env; the database is this run's own.
      const app = await npmStart(dir, {
        TANDEM_HTTP_PORT: '0',
        TANDEM_HTTP_HOST: '127.0.0.1',
        TANDEM_STORE_URL: `postgres://postgres@127.0.0.1:5432/${database}`,
      });
      try {
        expect(app.output()).toMatch(/"broker":"rabbitmq","store":"postgres"/);
        expect(await addAndReadTask(app.url)).toMatchObject({ announced: true });
      } finally {
        await app.stop();
      }
    });
  });
});
