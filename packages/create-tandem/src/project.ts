import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokers, stores } from './choices.js';
import type { Options } from './options.js';
import { render, templatesDir } from './render.js';

/** The @tandem/* packages a project with these choices depends on. */
export function tandemPackages(options: Pick<Options, 'broker' | 'store'>): string[] {
  const adapters = [brokers[options.broker], stores[options.store]].flatMap((c) => ('adapter' in c ? [c.adapter] : []));
  return [...new Set(['@tandem/core', '@tandem/transport-http', ...adapters])];
}

/** This generator's own version: the @tandem/* packages are released with it, in step. */
export function ownVersion(): string {
  const pkg = JSON.parse(readFileSync(join(templatesDir, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

const labels = {
  memory: ['the in-process broker', 'in-memory records'],
  amqp: ['RabbitMQ', ''],
  kafka: ['Kafka', ''],
  postgres: ['', 'PostgreSQL (outbox, inbox and idempotency records)'],
  pglite: ['', 'embedded PGlite in ./.data (outbox, inbox and idempotency records)'],
  redis: ['', 'Redis (inbox and idempotency records)'],
} as const;

/** Every file of the project, by path, as text. */
export function projectFiles(options: Options, tandemSpecs: Readonly<Record<string, string>>): Map<string, string> {
  const broker = brokers[options.broker];
  const store = stores[options.store];
  const db = options.name.replace(/[^a-z0-9]+/g, '_');
  const withDb = (url: string) => url.replace('{{db}}', db);
  const composeServices = [broker, store].flatMap((c) => ('composeService' in c ? [c.composeService] : []));
  const vars = {
    name: options.name,
    db,
    brokerUrl: withDb(broker.localUrl),
    storeUrl: withDb(store.localUrl),
    composeBrokerUrl: withDb(broker.composeUrl),
    composeStoreUrl: withDb(store.composeUrl),
    brokerLabel: labels[options.broker][0],
    storeLabel: labels[options.store][1],
    servicesNote:
      composeServices.length === 0
        ? 'The defaults need nothing else running.'
        : `Start what they point at with \`docker compose up -d ${composeServices.join(' ')}\`.`,
  };

  const files = new Map<string, string>();
  for (const path of [
    'tsconfig.json',
    'README.md',
    'Dockerfile',
    'src/contracts.ts',
    'src/tasks.ts',
    'src/app.ts',
    'src/main.ts',
    'test/tasks.test.ts',
    'scripts/dev.mjs',
  ]) {
    files.set(path, render(path, vars));
  }
  files.set('.gitignore', render('_gitignore', vars));
  files.set('.dockerignore', render('_dockerignore', vars));
  files.set('.env.example', render('_env', vars));
  files.set('.env', render('_env', vars));

  const pkg = JSON.parse(render('package.json', vars)) as { dependencies: Record<string, string> };
  const deps = { ...pkg.dependencies, ...tandemSpecs };
  pkg.dependencies = Object.fromEntries(Object.entries(deps).sort(([a], [b]) => a.localeCompare(b)));
  files.set('package.json', `${JSON.stringify(pkg, null, 2)}\n`);

  let compose = render('compose/app.yaml.part', vars);
  if (composeServices.length > 0) {
    compose += render('compose/depends-on.yaml.part', vars);
    for (const service of composeServices) compose += render('compose/depends-on-service.yaml.part', { service });
    for (const service of composeServices) compose += `\n${render(`compose/${service}.yaml.part`, vars)}`;
  }
  files.set('compose.yaml', compose);
  return files;
}
