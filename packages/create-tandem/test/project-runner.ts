/**
 * Runs a generated project the way its README says: npm install, npm test, npm start, and
 * a request to the port the start-up line names. Shared by the scaffold and docs tests.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs a command to its end; rejects with its output when it fails or outlives `timeoutMs`. */
export function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
  timeoutMs = 180_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      {
        cwd,
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, npm_config_loglevel: 'error', npm_config_update_notifier: 'false', ...env },
      },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`${cmd} ${args.join(' ')} failed in ${cwd} (${error.message}):\n${stdout}${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

/** Whether the npm registry answers, within a bound, so an offline machine can skip. */
export async function registryReachable(): Promise<string | undefined> {
  try {
    await run(npm, ['ping'], root, {}, 20_000);
    return undefined;
  } catch (error) {
    return (error as Error).message.split('\n')[0];
  }
}

/** Packs every package with the repository's own script into `out`; answers the JSON list. */
export async function releasePack(out: string): Promise<Array<{ name: string; version: string; file: string }>> {
  const stdout = await run(process.execPath, [join(root, 'scripts/release-pack.mjs'), '--out', out, '--json'], root);
  return JSON.parse(stdout) as Array<{ name: string; version: string; file: string }>;
}

export interface Started {
  readonly url: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** `npm start` in its own process group; resolves with the URL its start-up line names. */
export function npmStart(cwd: string, env: Record<string, string>, timeoutMs = 90_000): Promise<Started> {
  const child: ChildProcess = spawn(npm, ['start'], {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_loglevel: 'error', ...env },
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      const killer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 10_000);
      await exited;
      clearTimeout(killer);
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop().then(() => reject(new Error(`npm start named no URL within ${timeoutMs} ms:\n${output}`)));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /listening on (http:\/\/[^\s"]+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, output: () => output, stop });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before listening:\n${output}`));
    });
  });
}

/** Adds a task through the command, then waits for the event handler to have announced it. */
export async function addAndReadTask(url: string): Promise<{ taskId: string; announced: boolean }> {
  const added = await fetch(`${url}/commands/tasks.add`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'from the scaffold test' }),
  });
  if (added.status !== 200) throw new Error(`tasks.add answered ${added.status}: ${await added.text()}`);
  const { taskId } = (await added.json()) as { taskId: string };
  const end = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`${url}/queries/tasks.get?taskId=${taskId}`);
    const task = (await res.json()) as { taskId: string; announced: boolean };
    if (task.announced || Date.now() > end) return task;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
