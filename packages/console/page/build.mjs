// Bundles the console page (page/src) into page/bundle: index.html, console.js (one
// minified script, dagre and uPlot included) and console.css (the page's own, then uPlot's).
// `npm run build:page -w @tandem/console` rewrites the committed bundle;
// test/page-bundle.test.ts checks it matches the source.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/** Writes the bundle into `outDir` (default: the committed page/bundle). */
export async function buildPage(outDir = here('./bundle/')) {
  await mkdir(outDir, { recursive: true });
  await build({
    input: here('./src/main.ts'),
    platform: 'browser',
    tsconfig: here('./tsconfig.json'),
    output: { file: `${outDir}/console.js`, format: 'iife', minify: true, sourcemap: false, comments: false },
    logLevel: 'warn',
  });
  await copyFile(here('./src/index.html'), `${outDir}/index.html`);
  const uplotCss = createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css');
  const css = [await readFile(here('./src/console.css'), 'utf8'), await readFile(uplotCss, 'utf8')];
  await writeFile(`${outDir}/console.css`, css.join('\n'));
  return outDir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await buildPage(process.argv[2]);
  console.log(`console page bundled into ${out}`);
}
