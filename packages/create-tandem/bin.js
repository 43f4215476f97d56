#!/usr/bin/env node
// The generator's entry point: `npm create tandem@latest my-service`, or from a checkout
// `node packages/create-tandem/bin.js my-service` once the package is built.
let main;
try {
  ({ main } = await import('./dist/main.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  console.error(
    'create-tandem: this copy is not built (dist/main.js is missing); run `npx tsc -b` or `npm run release:pack` at the repository root first',
  );
  process.exit(2);
}
process.exitCode = await main(process.argv.slice(2));
