/**
 * The mutants of `npm run test:mutants` (scripts/test-mutants.mjs) put back, one each, the
 * bugs the interleaving suite must find. A patch that no longer applies proves nothing, so
 * this checks on every `npm test` that each still applies to the current source.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = join(import.meta.dirname, 'mutants');
const patches = readdirSync(dir).filter((f) => f.endsWith('.patch'));
const top = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8' });
/** Undefined outside a git checkout (an unpacked release, or git not installed). */
const root = top.status === 0 ? top.stdout.trim() : undefined;
const NOT_A_CHECKOUT = 'not a git checkout: nothing to apply the mutant patches to (git apply --check needs one)';

describe('interleaving mutants', () => {
  it('cover the bugs of issue #17 the suite must find (2, 3, 6 and 8) and the deferred unit of work (10), each with its header', () => {
    expect(patches.map((f) => parseInt(f, 10)).sort((a, b) => a - b)).toEqual([2, 3, 6, 8, 10]);
    for (const patch of patches) {
      const text = readFileSync(join(dir, patch), 'utf8');
      const n = parseInt(patch, 10);
      const header = n === 10 ? 'Mutant for the deferred unit of work' : `Mutant for bug ${n} of issue #17`;
      expect(text.startsWith(header), patch).toBe(true);
    }
  });

  for (const patch of patches) {
    it(`${patch} still applies to the current source`, (ctx) => {
      if (root === undefined) ctx.skip(NOT_A_CHECKOUT);
      const check = spawnSync('git', ['apply', '--check', join(dir, patch)], { cwd: root, encoding: 'utf8' });
      expect(
        check.status,
        `${patch} no longer applies; make it again against the current source:\n${check.stderr}`,
      ).toBe(0);
    });
  }
});
