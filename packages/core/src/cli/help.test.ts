import { describe, expect, it } from 'vitest';
import { commands } from './commands.js';
import { main } from './main.js';
import { captureIo } from './io.fixture.js';

const io = captureIo;

describe('tandem --help', () => {
  it('prints each subcommand’s usage with exit code 0 for --help, -h and tandem help <command>', async () => {
    for (const { name } of commands) {
      for (const argv of [
        [name, '--help'],
        [name, '-h'],
        ['help', name],
      ]) {
        const run = io();
        expect(await main(argv, run.io), argv.join(' ')).toBe(0);
        expect(run.out.join(''), argv.join(' ')).toContain(`tandem ${name}`);
        expect(run.out.join('')).toContain('Usage:');
        expect(run.err).toEqual([]);
      }
    }
    const afterAction = io();
    expect(await main(['dead-letters', 'list', '--help'], afterAction.io)).toBe(0);
    expect(afterAction.out.join('')).toContain('tandem dead-letters list');
  });

  it('lists every subcommand in the top-level help', async () => {
    const run = io();
    expect(await main(['--help'], run.io)).toBe(0);
    for (const { name } of commands) expect(run.out.join('')).toMatch(new RegExp(`^  ${name} `, 'm'));
    const unknown = io();
    expect(await main(['help', 'nope'], unknown.io)).toBe(2);
    expect(unknown.err.join('')).toContain("unknown command 'nope'");
  });

  it('names an unknown option and points at the subcommand’s --help, with exit code 2', async () => {
    const run = io();
    expect(await main(['docs', '--modul', 'x.js'], run.io)).toBe(2);
    expect(run.err.join('')).toBe("tandem docs: unknown option '--modul'; see 'tandem docs --help' for its options\n");
    const store = io();
    expect(await main(['store-sql', '--prefix', 'x'], store.io)).toBe(2);
    expect(store.err.join('')).toContain("unknown option '--prefix'; see 'tandem store-sql --help'");
  });

  it('says in tandem docs --help and in its error that the module must export an array named services', async () => {
    const help = io();
    expect(await main(['docs', '--help'], help.io)).toBe(0);
    expect(help.out.join('')).toMatch(/must export an array named\s+'services'/);
    const run = io();
    const notServices = new URL('./io.js', import.meta.url).pathname.replace(/\.js$/, '.ts');
    expect(await main(['docs', '--module', notServices, '--out', '/nonexistent-never-written'], run.io)).toBe(2);
    expect(run.err.join('')).toContain("the module must export an array named 'services'");
  });
});
