import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from './errors.js';
import type { Options } from './options.js';
import { ownVersion, projectFiles, tandemPackages } from './project.js';
import { vendorTarballs } from './tarballs.js';

function entriesOf(dir: string): string[] | undefined {
  try {
    return readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new UsageError('<directory>', `'${dir}' is a file; pass a new directory`);
    }
    throw error;
  }
}

/** Writes the project; answers the paths written, relative to its directory. */
export function generate(options: Options): string[] {
  const existing = entriesOf(options.dir);
  if (existing !== undefined && existing.length > 0 && !options.force) {
    throw new UsageError(
      '<directory>',
      `'${options.dir}' exists and is not empty; pick a new directory or pass --force to write into it`,
    );
  }
  mkdirSync(options.dir, { recursive: true });
  const packages = tandemPackages(options);
  let specs: Record<string, string>;
  if (options.tarballs === undefined) {
    const version = ownVersion();
    specs = Object.fromEntries(packages.map((p) => [p, version]));
  } else {
    rmSync(join(options.dir, 'vendor'), { recursive: true, force: true });
    specs = vendorTarballs(options.tarballs, packages, options.dir);
  }
  const files = projectFiles(options, specs);
  for (const [path, text] of files) {
    const target = join(options.dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
  return [...files.keys()];
}
