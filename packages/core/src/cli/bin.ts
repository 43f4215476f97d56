#!/usr/bin/env node
import { runMain } from '../runtime/run-main.js';
import { main } from './main.js';

await runMain(() =>
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  }),
);
