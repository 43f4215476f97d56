/** The generator's usage errors: one line naming the flag or argument and the fix, exit 2. */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/index.js';

const work = mkdtempSync(join(tmpdir(), 'tandem-create-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (l) => (out += `${l}\n`), err: (l) => (err += `${l}\n`) }, work);
  return { code, out, err };
}

describe('create-tandem usage errors', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['no directory', [], /^create-tandem: <directory>: missing; pass the new project directory/],
    [
      'an unknown broker',
      ['a', '--broker', 'rabbit'],
      /^create-tandem: --broker: 'rabbit' is not one of memory, amqp, kafka; pass --broker memory\|amqp\|kafka/,
    ],
    [
      'an unknown store',
      ['a', '--store', 'mysql'],
      /^create-tandem: --store: 'mysql' is not one of memory, postgres, pglite, redis/,
    ],
    [
      'an unknown flag',
      ['a', '--brokr', 'amqp'],
      /^create-tandem: --brokr: Unknown option '--brokr'; see create-tandem --help/,
    ],
    ['a name npm refuses', ['My_Service'], /^create-tandem: <directory>: 'My_Service' is not a valid package name/],
    [
      'a tarball folder that does not exist',
      ['t', '--tarballs', 'nowhere'],
      /^create-tandem: --tarballs: cannot read '.*nowhere'/,
    ],
  ];
  for (const [what, argv, message] of cases) {
    it(`exits 2 for ${what}`, async () => {
      const { code, err } = await cli(...argv);
      expect(err).toMatch(message);
      expect(err.trimEnd().split('\n')).toHaveLength(1);
      expect(code).toBe(2);
    });
  }

  it('refuses a directory that is not empty unless --force', async () => {
    mkdirSync(join(work, 'taken'));
    writeFileSync(join(work, 'taken', 'keep.txt'), 'mine');
    const refused = await cli('taken');
    expect(refused.err).toMatch(/<directory>: '.*taken' exists and is not empty; pick a new directory or pass --force/);
    expect(refused.code).toBe(2);
    expect(readdirSync(join(work, 'taken'))).toEqual(['keep.txt']);
    const forced = await cli('taken', '--force');
    expect(forced.code).toBe(0);
    expect(readdirSync(join(work, 'taken'))).toContain('package.json');
  });

  it('writes the chosen adapters, their URLs and their compose services', async () => {
    expect((await cli('kafka-redis', '--broker', 'kafka', '--store', 'redis')).code).toBe(0);
    const dir = join(work, 'kafka-redis');
    const pkg = (await import(join(dir, 'package.json'), { with: { type: 'json' } })) as {
      default: { dependencies: Record<string, string> };
    };
    expect(Object.keys(pkg.default.dependencies)).toEqual([
      '@tandem/core',
      '@tandem/store-redis',
      '@tandem/transport-http',
      '@tandem/transport-kafka',
      'zod',
    ]);
  });
});
