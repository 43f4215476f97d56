/**
 * Installs Tandem the way users do: every package is built, checked with publint and
 * @arethetypeswrong/cli, packed with `npm pack`, and installed from the tarballs into a
 * fresh project outside the workspace, where a decorated service is compiled with plain
 * tsc (experimentalDecorators, emitDecoratorMetadata) and run: a command over HTTP and an
 * event on the in-process broker.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const packagesDir = join(root, 'packages');
// The libraries; create-tandem (also under packages/) has its own test in packages/create-tandem/test.
const packages = readdirSync(packagesDir).filter((d) => {
  try {
    return (JSON.parse(readFileSync(join(packagesDir, d, 'package.json'), 'utf8')) as { name: string }).name.startsWith(
      '@tandem/',
    );
  } catch {
    return false;
  }
});
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
};
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_loglevel: 'error' },
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

describe('packages install and run outside the workspace', () => {
  const work = mkdtempSync(join(tmpdir(), 'tandem-pack-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const tarballs: Record<string, string> = {};

  it('builds, and every package is clean under publint and attw', () => {
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b'], root);
    for (const dir of packages) {
      const pkgDir = join(packagesDir, dir);
      expect(run(process.execPath, [join(root, 'node_modules/publint/src/cli.js'), pkgDir], root)).toMatch(/All good/);
      // ESM only: the CommonJS resolutions are not offered (Node >= 20.19 can still require() it).
      run(
        process.execPath,
        [join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js'), '--pack', '.', '--profile', 'esm-only'],
        pkgDir,
      );
    }
  }, 300_000);

  it('packs every package', () => {
    const packed = JSON.parse(
      run(npm, ['pack', '--json', '--pack-destination', work, ...packages.map((d) => `./packages/${d}`)], root),
    ) as Array<{ name: string; filename: string; files: Array<{ path: string }> }>;
    for (const p of packed) {
      tarballs[p.name] = join(work, p.filename);
      const files = p.files.map((f) => f.path);
      expect(files).toContain('dist/index.js');
      expect(files).toContain('dist/index.d.ts');
      expect(files.some((f) => f.endsWith('.test.ts') || f.endsWith('.test.js'))).toBe(false);
    }
    expect(Object.keys(tarballs).sort()).toEqual(packages.map((d) => `@tandem/${d}`).sort());
  }, 120_000);

  it('installs the tarballs in a fresh project, compiles a decorated service with tsc and runs it', () => {
    const app = join(work, 'app');
    mkdirSync(join(app, 'src'), { recursive: true });
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({
        name: 'tandem-smoke',
        private: true,
        type: 'module',
        dependencies: {
          ...Object.fromEntries(Object.entries(tarballs).map(([n, f]) => [n, `file:${f}`])),
          zod: '4.6.7',
          'reflect-metadata': '0.2.2',
        },
        devDependencies: {
          typescript: rootPkg.devDependencies.typescript,
          '@types/node': rootPkg.devDependencies['@types/node'],
        },
      }),
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          skipLibCheck: false,
          rootDir: 'src',
          outDir: 'dist',
          types: ['node'],
        },
        include: ['src'],
      }),
    );
    copyFileSync(join(dirname(fileURLToPath(import.meta.url)), 'smoke-app.ts.txt'), join(app, 'src', 'main.ts'));
    run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline'], app);
    run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', '.'], app);
    const output = run(process.execPath, ['dist/main.js'], app).trim().split('\n').at(-1)!;
    expect(JSON.parse(output)).toEqual({ status: 200, body: { greeting: 'hello, packed' }, event: 'packed' });
  }, 600_000);
});
