/**
 * Every ```ts block in docs/ and the README is compiled here, so samples cannot rot: each
 * block is written as a module under docs/.samples/<page>/ (inside the workspace, so
 * imports of @tandem/* resolve as they would in a user's project) and type-checked with
 * the repository's compiler settings. A block whose first line is a file-name comment
 * (`// contracts.ts`) is written under that name, so later blocks of the same page can
 * import it (`./contracts.js`).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const docsDir = dirname(fileURLToPath(import.meta.url));
const root = join(docsDir, '..');
const outDir = join(docsDir, '.samples');

interface Sample {
  file: string;
  line: number;
  code: string;
}

function samplesOf(file: string): Sample[] {
  const text = readFileSync(file, 'utf8');
  const samples: Sample[] = [];
  const fence = /^```ts[ \t]*\n([\s\S]*?)^```/gm;
  for (let match = fence.exec(text); match; match = fence.exec(text)) {
    samples.push({ file, line: text.slice(0, match.index).split('\n').length, code: match[1]! });
  }
  return samples;
}

const files = [
  join(root, 'README.md'),
  ...readdirSync(docsDir)
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(docsDir, f)),
];
const samples = files.flatMap(samplesOf);

describe('documentation samples', () => {
  it('finds samples to check', () => {
    expect(samples.length).toBeGreaterThan(3);
  });

  it('compiles every ```ts sample', () => {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const names = samples.map((sample, i) => {
      const page = join(outDir, relative(root, sample.file).replace(/[^a-zA-Z0-9]/g, '_'));
      mkdirSync(page, { recursive: true });
      const named = /^\/\/ ([\w.-]+\.ts)\s*\n/.exec(sample.code)?.[1];
      const name = join(page, named ?? `sample_${sample.line}_${i}.ts`);
      // `export {}` makes each sample a module even when it has no import.
      writeFileSync(name, `${sample.code}\nexport {};\n`);
      return name;
    });
    const config = ts.getParsedCommandLineOfConfigFile(
      join(root, 'tsconfig.base.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => {
          throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        },
      },
    )!;
    const program = ts.createProgram(names, {
      ...config.options,
      noEmit: true,
      composite: false,
      declaration: false,
      declarationMap: false,
      noUnusedLocals: false,
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? names.indexOf(d.file.fileName) : -1;
      const sample = samples[where];
      const at = sample && d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0;
      const origin = sample ? `${relative(root, sample.file)}:${sample.line + 1 + at}` : (d.file?.fileName ?? 'config');
      return `${origin}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    rmSync(outDir, { recursive: true, force: true });
    expect(problems).toEqual([]);
  }, 120_000);
});
