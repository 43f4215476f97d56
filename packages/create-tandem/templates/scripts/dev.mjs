// npm run dev: the compiler in watch mode and the app restarted on each successful build.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';

const tsc = ['node_modules/typescript/bin/tsc'];
execFileSync(process.execPath, tsc, { stdio: 'inherit' });
const children = [
  spawn(process.execPath, [...tsc, '--watch', '--preserveWatchOutput'], { stdio: 'inherit' }),
  spawn(process.execPath, ['--watch', 'dist/main.js'], { stdio: 'inherit' }),
];
const stop = () => children.forEach((child) => child.kill('SIGTERM'));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const child of children) child.on('exit', stop);
