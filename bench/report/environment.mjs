// What a reader needs to reproduce a run: versions of every library compared, Node, CPU.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

const require = createRequire(new URL('../package.json', import.meta.url));
const PACKAGES = [
  '@tandem/core',
  '@tandem/transport-http',
  '@tandem/transport-rabbitmq',
  '@tandem/transport-kafka',
  '@tandem/store-postgres',
  '@nestjs/core',
  '@nestjs/microservices',
  '@nestjs/platform-express',
  'fastify',
  'moleculer',
  'moleculer-web',
  'amqplib',
  'amqp-connection-manager',
  'kafkajs',
  'pg',
  'zod',
  'autocannon',
];

function versionOf(name) {
  try {
    const path = require.resolve(`${name}/package.json`);
    return JSON.parse(readFileSync(path, 'utf8')).version;
  } catch {
    return findUp(name);
  }
}

// Packages whose "exports" hide package.json: read it from the node_modules folder.
function findUp(name) {
  for (const base of ['../node_modules', '../../node_modules']) {
    try {
      return JSON.parse(readFileSync(new URL(`${base}/${name}/package.json`, import.meta.url), 'utf8')).version;
    } catch {
      // try the next folder
    }
  }
  return 'not installed';
}

export function environment() {
  const cpu = cpus();
  return {
    node: process.version,
    os: `${process.platform} ${release()}`,
    cpu: `${cpu[0]?.model ?? 'unknown'} x ${cpu.length}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    loadavg: loadavg()
      .map((l) => l.toFixed(1))
      .join(' '),
    versions: Object.fromEntries(PACKAGES.map((name) => [name, versionOf(name)])),
  };
}
