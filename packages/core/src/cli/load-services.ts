import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ServiceInput } from '../decorators/decorators.js';
import { ConfigError } from '../errors/errors.js';

/**
 * The services a module exports as an array (`export const services = [Orders, Billing];`),
 * for the commands that read an app's contracts without running it (`docs`, `contracts`).
 */
export async function loadServices(command: string, module: string, name = 'services'): Promise<ServiceInput[]> {
  const file = isAbsolute(module) ? module : resolve(module);
  if (!existsSync(file))
    throw new ConfigError(
      `tandem ${command}: --module ${module} does not exist; compile your services first (npx tsc) and pass the compiled file, e.g. --module dist/services.js`,
    );
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const services = mod[name];
  if (!Array.isArray(services)) {
    throw new ConfigError(
      `tandem ${command}: ${module} has no array export named '${name}'; the module must export an array named '${name}' (e.g. export const ${name} = [Orders, Billing];), or pass --export NAME for another name`,
    );
  }
  return services as ServiceInput[];
}
