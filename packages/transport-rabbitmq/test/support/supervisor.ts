/**
 * Consumer processes for process-level tests: a fixture under test/fixtures bundled into
 * one CommonJS file (node runs it without a TypeScript loader), and a supervisor that
 * starts it again each time it exits, as systemd or Kubernetes would, and reads the lines
 * it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export async function bundleFixture(name: string): Promise<string> {
  const { build } = await import('rolldown');
  const file = join(mkdtempSync(join(tmpdir(), 'tandem-rabbitmq-fixture-')), `${name}.cjs`);
  await build({
    input: fileURLToPath(new URL(`../fixtures/${name}.ts`, import.meta.url)),
    platform: 'node',
    resolve: { conditionNames: ['@tandem/source', 'import', 'require', 'node', 'default'] },
    output: { file, format: 'cjs' },
    logLevel: 'warn',
  });
  return file;
}

export interface SupervisorOptions {
  script: string;
  env: Record<string, string>;
  /** Every line the process prints, with the number of the start that printed it (1-based). */
  onLine(line: string, start: number): void;
  /** Gives up restarting after this many exits, so a crash loop the code under test fails to break ends. */
  maxExits: number;
}

export class Supervisor {
  /** Exit codes, in order. */
  readonly exits: Array<number | null> = [];
  private child: ChildProcess | undefined;
  private stopped = false;
  private starts = 0;
  private readyWaiters: Array<() => void> = [];

  constructor(private readonly options: SupervisorOptions) {}

  /** Starts the process (and keeps restarting it); resolves when the first start printed `ready`. */
  start(): Promise<void> {
    const ready = this.nextReady();
    this.spawn();
    return ready;
  }

  get gaveUp(): boolean {
    return this.exits.length >= this.options.maxExits;
  }

  private nextReady(): Promise<void> {
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private spawn(): void {
    const start = ++this.starts;
    const child = spawn(process.execPath, [this.options.script], {
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'ready') {
        const waiters = this.readyWaiters;
        this.readyWaiters = [];
        for (const wake of waiters) wake();
      }
      this.options.onLine(line, start);
    });
    child.once('exit', (code) => {
      this.exits.push(code);
      if (this.child === child) this.child = undefined;
      if (!this.stopped && !this.gaveUp) this.spawn();
    });
  }

  /** Stops restarting and ends the current process gracefully (SIGTERM), or kills it after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
