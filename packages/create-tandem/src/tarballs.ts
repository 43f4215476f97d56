import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './errors.js';

/** `@tandem/transport-http` → the file name `npm pack` gives it, `tandem-transport-http-<version>.tgz`. */
function tarballPrefix(pkg: string): string {
  return `${pkg.replace(/^@/, '').replace('/', '-')}-`;
}

/**
 * Copies each package's tarball from `from` into the project's vendor/ and answers the
 * dependency specs (`file:vendor/...`), so the project installs, and builds in Docker,
 * without the folder it came from.
 */
export function vendorTarballs(from: string, packages: readonly string[], projectDir: string): Record<string, string> {
  let files: string[];
  try {
    files = readdirSync(from);
  } catch {
    throw new UsageError('--tarballs', `cannot read '${from}'; pass the folder npm run release:pack wrote`);
  }
  const specs: Record<string, string> = {};
  mkdirSync(join(projectDir, 'vendor'), { recursive: true });
  for (const pkg of packages) {
    const prefix = tarballPrefix(pkg);
    const matches = files.filter(
      (f) => f.startsWith(prefix) && /^\d/.test(f.slice(prefix.length)) && f.endsWith('.tgz'),
    );
    if (matches.length !== 1) {
      throw new UsageError(
        '--tarballs',
        `${matches.length === 0 ? 'no' : 'more than one'} ${prefix}<version>.tgz in '${from}'; run npm run release:pack to write one of each`,
      );
    }
    copyFileSync(join(from, matches[0]!), join(projectDir, 'vendor', matches[0]!));
    specs[pkg] = `file:vendor/${matches[0]!}`;
  }
  return specs;
}
