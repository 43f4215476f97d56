/**
 * A saga timeout survives a real restart: the process that scheduled it is SIGKILLed before
 * it is due, and a new process (a new app, new connections, nothing in memory) fires it once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, sleep } from '@tandem/core/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';
import { PG_URL, testSchema, postgresAvailable } from './harness.js';

const available = await postgresAvailable();

async function bundle(): Promise<string> {
  const { build } = await import('rolldown');
  // Inside the repository, so that the packages left out of the bundle resolve from its node_modules.
  const cache = fileURLToPath(new URL('../../../node_modules/.cache/', import.meta.url));
  mkdirSync(cache, { recursive: true });
  const file = join(mkdtempSync(join(cache, 'tandem-saga-restart-')), 'app.cjs');
  await build({
    external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('@tandem/'),
    input: fileURLToPath(new URL('./fixtures/saga-timeout-process.ts', import.meta.url)),
    platform: 'node',
    resolve: { conditionNames: ['@tandem/source', 'import', 'require', 'node', 'default'] },
    output: { file, format: 'cjs' },
    logLevel: 'warn',
  });
  return file;
}

describe.skipIf(!available)('a saga timeout across a process restart', () => {
  const schema = testSchema();
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  function run(file: string, mode: 'start' | 'resume'): Promise<ChildProcess> {
    const child = spawn(process.execPath, [file], {
      env: { ...process.env, PG_URL, SCHEMA: schema, MODE: mode, ID: 'r1', DELAY_MS: '2000' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    return new Promise((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve(child));
      child.on('exit', (code) => reject(new Error(`the app process exited (${code}) before it was ready`)));
    });
  }

  const instance = async () =>
    (
      await admin.query<{ status: string; due_at: Date | null }>(
        `SELECT status, due_at FROM "${schema}".tandem_sagas WHERE saga = 'restart.expiry' AND id = 'r1'`,
      )
    ).rows[0];
  const expired = async () =>
    (await admin.query<{ pid: number }>(`SELECT pid FROM "${schema}".expired WHERE id = 'r1'`)).rows;

  it('fires once, in the new process, after the first was killed before it was due', { timeout: 120_000 }, async () => {
    await migrate({ transaction: (fn) => fn({ query: (s, p) => admin.query(s, p) as never }) }, { schema });
    await admin.query(`CREATE TABLE "${schema}".expired (id text NOT NULL, pid int NOT NULL)`);
    const file = await bundle();

    const first = await run(file, 'start');
    await eventually(
      'the instance to be saved with its timeout',
      async () => (await instance())?.due_at != null,
      30_000,
    );
    const due = (await instance())!.due_at!.getTime();
    expect(due - Date.now()).toBeGreaterThan(200);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));

    // Past the due time with no process running: nothing fires it.
    await sleep(Math.max(0, due - Date.now()) + 500);
    expect(await expired()).toEqual([]);
    expect((await instance())!.status).toBe('running');

    const second = await run(file, 'resume');
    await eventually(
      'the new process to fire the timeout',
      async () => (await instance())?.status === 'completed',
      30_000,
    );
    const rows = await expired();
    expect(rows).toEqual([{ pid: second.pid }]);
    await sleep(500);
    expect(await expired()).toHaveLength(1);
  });
});
