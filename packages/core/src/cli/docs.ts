import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeApp, type AppModel } from '../docs/app-model.js';
import { asyncApiDocument } from '../docs/asyncapi.js';
import { eventFlow } from '../docs/event-flow.js';
import { ConfigError } from '../errors/errors.js';
import { contentModeOf } from '../messages/content-mode.js';
import type { CliIo } from './io.js';
import { loadServices } from './load-services.js';

export const docsUsage = `Usage:
  tandem docs --module FILE [--export NAME] [--out DIR] [--title T] [--version V]
              [--content-mode binary|structured] [--fail-on-cycles]

Imports FILE (compiled JavaScript, e.g. dist/services.js), which must export an array named
'services' (or the name given with --export): your decorated classes, instances or service()
definitions, e.g. \`export const services = [Orders, Billing];\`. Writes to DIR (default: docs/api):
  openapi.json    OpenAPI 3.1 for the commands and queries (needs @tandem/transport-http)
  asyncapi.json   AsyncAPI 3.0 for the events published and consumed, in the content mode the
                  transport writes (--content-mode, default binary: see docs/transports.md)
  event-flow.md   which service's events reach which services, as a Mermaid chart, with cycles
`;

export const docsOptions = {
  module: { type: 'string' },
  export: { type: 'string' },
  out: { type: 'string' },
  title: { type: 'string' },
  version: { type: 'string' },
  'content-mode': { type: 'string' },
  'fail-on-cycles': { type: 'boolean' },
} as const;

type OpenApiWriter = (model: AppModel, options: { title: string; version: string }) => unknown;

/** `tandem docs`: API documents and the event-flow graph from an app's registered contracts. */
export async function docs(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: docsOptions, strict: true, allowPositionals: false });
  if (!values.module)
    throw new ConfigError('tandem docs: --module FILE is required (the compiled module exporting your services)');
  const services = await loadServices('docs', values.module, values.export);
  const model = describeApp(services);
  const info = { title: values.title ?? 'Tandem services', version: values.version ?? '1.0.0' };
  const out = resolve(values.out ?? join('docs', 'api'));
  mkdirSync(out, { recursive: true });

  const written: string[] = [];
  if (model.sync.length > 0) {
    // Loaded by name, like the transports in fromEnv(): core does not depend on the HTTP package.
    const specifier = '@tandem/transport-http';
    const http = (await import(specifier).catch(() => undefined)) as { openApiDocument?: OpenApiWriter } | undefined;
    if (http?.openApiDocument) {
      writeFileSync(join(out, 'openapi.json'), JSON.stringify(http.openApiDocument(model, info), null, 2) + '\n');
      written.push('openapi.json');
    } else {
      io.stderr.write('tandem docs: skipping openapi.json; install @tandem/transport-http to generate it\n');
    }
  }
  const contentMode = contentModeOf('tandem docs --content-mode', values['content-mode']);
  writeFileSync(
    join(out, 'asyncapi.json'),
    JSON.stringify(asyncApiDocument(model, { ...info, contentMode }), null, 2) + '\n',
  );
  written.push('asyncapi.json');
  const flow = eventFlow(model);
  const cycles = flow.cycles.map((c) => `- ${c.join(' → ')}`).join('\n');
  writeFileSync(
    join(out, 'event-flow.md'),
    `# Event flow\n\n\`\`\`mermaid\n${flow.mermaid}\`\`\`\n\n## Cycles between services\n\n${cycles || 'None.'}\n`,
  );
  written.push('event-flow.md');
  io.stdout.write(`wrote ${written.map((w) => join(out, w)).join(', ')}\n`);
  for (const cycle of flow.cycles) io.stderr.write(`tandem docs: event cycle between services: ${cycle.join(' → ')}\n`);
  return values['fail-on-cycles'] && flow.cycles.length > 0 ? 1 : 0;
}
