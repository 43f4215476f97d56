// npm run release:pack [-- --out <dir>]: builds (each package's prepack) and packs every
// publishable package into one folder, default dist-release/, replacing older tarballs there,
// and prints each tarball's name and version. `--json` prints them as JSON instead.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { out: { type: 'string', default: 'dist-release' }, json: { type: 'boolean', default: false } },
});
const out = resolve(process.cwd(), values.out);

const packages = readdirSync(join(root, 'packages')).filter((dir) => {
  try {
    return JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')).private !== true;
  } catch {
    return false;
  }
});

mkdirSync(out, { recursive: true });
for (const file of readdirSync(out)) if (file.endsWith('.tgz')) rmSync(join(out, file));

let packed;
try {
  // Lifecycle output (prepack's build) goes to stderr so stdout stays the JSON list.
  packed = JSON.parse(
    execFileSync(
      process.platform === 'win32' ? 'npm.cmd' : 'npm',
      ['pack', '--json', '--pack-destination', out, ...packages.map((dir) => `./packages/${dir}`)],
      {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, npm_config_loglevel: 'warn' },
      },
    ),
  );
} catch (error) {
  console.error(`release:pack: npm pack failed: ${error.message}`);
  process.exit(1);
}

if (values.json) {
  console.log(JSON.stringify(packed.map((p) => ({ name: p.name, version: p.version, file: join(out, p.filename) }))));
} else {
  console.log(`${packed.length} tarballs in ${relative(process.cwd(), out) || '.'}:`);
  for (const p of packed) console.log(`  ${p.name}@${p.version}  ${p.filename}`);
}
