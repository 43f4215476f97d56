// Starts a bench server in its own process (pinned to one core when taskset exists, so the
// load generator on the other core does not steal its time) and waits for "listening <url>".
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

const hasTaskset = spawnSync('taskset', ['--version']).status === 0;

export async function startServer(script, { cpu = 0, env = {} } = {}) {
  // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof" profiles the servers (--cpu-prof is
  // not allowed in NODE_OPTIONS, and the load generator should not be profiled anyway).
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args = [...nodeArgs, script];
  const command = hasTaskset ? 'taskset' : process.execPath;
  const argv = hasTaskset ? ['-c', String(cpu), process.execPath, ...args] : args;
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before listening`)));
    lines.on('line', (line) => {
      const match = /^listening (\S+)/.exec(line);
      if (match) resolve(match[1]);
    });
  });
  const cpuReadings = [];
  lines.on('line', (line) => {
    const match = /^cpu (\d+)/.exec(line);
    if (match) cpuReadings.shift()?.(Number(match[1]));
  });
  return {
    url,
    /** The server's process id (taskset execs node in place, so this is node's), for /proc readings. */
    pid: child.pid,
    /** The server's own CPU time (user + system) in microseconds, from reportCpuOnSignal(). */
    cpuMicros() {
      return new Promise((resolve) => {
        cpuReadings.push(resolve);
        child.kill('SIGUSR2');
      });
    },
    /** Resolves with the match of the next stdout line that matches `pattern`. */
    nextLine(pattern) {
      return new Promise((resolve) => {
        const onLine = (line) => {
          const match = pattern.exec(line);
          if (!match) return;
          lines.off('line', onLine);
          resolve(match);
        };
        lines.on('line', onLine);
      });
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    },
  };
}

export function pinSelf(cpu) {
  if (hasTaskset) spawnSync('taskset', ['-pc', String(cpu), String(process.pid)], { stdio: 'ignore' });
}

/** For server scripts: answer SIGUSR2 with "cpu <microseconds>" on stdout. */
export function reportCpuOnSignal() {
  process.on('SIGUSR2', () => {
    const { user, system } = process.cpuUsage();
    console.log(`cpu ${user + system}`);
  });
}
