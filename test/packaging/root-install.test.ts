/**
 * The root `npm install` stays light: the benchmark's peers (NestJS, fastify's bench use,
 * Moleculer, autocannon, amqp-connection-manager) are not in the root workspaces or lockfile,
 * and no package the root lockfile installs refuses the Node.js version the README promises
 * (which npm reports as EBADENGINE). The bench installs its own on demand.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { benchInstallNeeded, markBenchInstalled } from '../../scripts/bench-install.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const json = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8'));
const benchOnly = [
  '@nestjs/core',
  '@nestjs/microservices',
  'moleculer',
  'moleculer-web',
  'autocannon',
  'amqp-connection-manager',
];

describe('root install', () => {
  it('leaves the benchmark peers out of the root workspaces and lockfile', () => {
    expect(json('package.json').workspaces).not.toContain('bench');
    const installed = Object.keys(json('package-lock.json').packages);
    expect(installed.filter((path) => benchOnly.some((name) => path.endsWith(`node_modules/${name}`)))).toEqual([]);
    const bench = json('bench/package.json');
    for (const name of benchOnly) expect({ ...bench.dependencies, ...bench.devDependencies }).toHaveProperty(name);
    const benchLock = Object.keys(json('bench/package-lock.json').packages);
    for (const name of benchOnly) expect(benchLock).toContain(`node_modules/${name}`);
  });

  it('installs nothing that declares an engine excluding the Node.js the README requires', () => {
    const lock = json('package-lock.json');
    const minimum = semver.minVersion(json('package.json').engines.node)!.version;
    const refusing = Object.entries(lock.packages as Record<string, { engines?: { node?: string } }>)
      .filter(([, p]) => typeof p.engines?.node === 'string' && !semver.satisfies(minimum, p.engines.node))
      .map(([path, p]) => `${path} (node ${p.engines!.node})`);
    expect(refusing, `these warn EBADENGINE on Node ${minimum}`).toEqual([]);
  });

  it('reinstalls the bench only when its node_modules is missing or from another lockfile', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-'));
    try {
      writeFileSync(join(dir, 'package-lock.json'), '{"lockfileVersion":3}');
      const first = benchInstallNeeded(dir);
      expect(first.needed).toBe(true);
      mkdirSync(join(dir, 'node_modules'));
      markBenchInstalled(dir, first.hash);
      expect(benchInstallNeeded(dir).needed).toBe(false);
      writeFileSync(join(dir, 'package-lock.json'), '{"lockfileVersion":3,"packages":{}}');
      expect(benchInstallNeeded(dir).needed).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
