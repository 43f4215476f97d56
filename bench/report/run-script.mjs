// Runs one bench script as a child process, echoing its output to stderr as it goes (so a
// long run shows progress) and returning its stdout for the report.
import { spawn } from 'node:child_process';

export function runScript(script, args = [], env = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      process.stderr.write(chunk);
    });
    child.stderr.on('data', (chunk) => process.stderr.write(chunk));
    child.on('exit', (code, signal) => resolve({ code: code ?? 1, signal, stdout }));
  });
}

/** The summary part of a script's output: per-round progress lines and raw dumps left out. */
export function summaryOf(stdout) {
  const progress = /^(\S+\s+)?round \d|^latency round|^per round|^round \d/;
  return stdout
    .split('\n')
    .filter((line) => !progress.test(line.trim()))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
