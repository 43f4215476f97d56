/**
 * docs/cli.md against the CLI's own definitions (packages/core/src/cli/commands.ts): a section
 * for every subcommand, and in it every action, every option, --help, an example and the exit
 * codes; and no section for a command the CLI does not have. A new option fails here until the
 * page names it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commands } from '../packages/core/src/cli/commands.js';

const page = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'cli.md'), 'utf8');

function sectionOf(name: string): string | undefined {
  const start = page.indexOf(`\n## tandem ${name}\n`);
  if (start < 0) return undefined;
  const next = page.indexOf('\n## ', start + 1);
  return page.slice(start, next < 0 ? undefined : next);
}

describe('docs/cli.md', () => {
  it.each(commands.map((c) => [c.name, c] as const))('documents tandem %s fully', (name, command) => {
    const section = sectionOf(name);
    expect(section, `docs/cli.md has no '## tandem ${name}' section`).toBeDefined();
    const missing = [
      ...command.actions.filter((a) => !section!.includes(`\`${a}\``)),
      ...Object.keys(command.options).filter((o) => !new RegExp(`\`--${o}[\` ]`).test(section!)),
      ...['`--help`', '`-h`', 'Exit codes:'].filter((s) => !section!.includes(s)),
    ];
    expect(missing, `tandem ${name}: docs/cli.md does not mention these`).toEqual([]);
    expect(section).toMatch(new RegExp('```sh\\n(#.*\\n)*.*tandem ' + name + ' '));
  });

  it('has no section for a command the CLI does not define', () => {
    const documented = [...page.matchAll(/^## tandem (\S+)$/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(commands.map((c) => c.name).sort());
  });
});
