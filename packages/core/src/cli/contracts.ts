import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkContracts, type ContractChange } from '../compat/check.js';
import { contractsSnapshot, SNAPSHOT_FORMAT, snapshotText, type ContractsSnapshot } from '../compat/snapshot.js';
import { describeApp } from '../docs/app-model.js';
import { ConfigError } from '../errors/errors.js';
import type { CliIo } from './io.js';
import { loadServices } from './load-services.js';

export const contractsUsage = `Usage:
  tandem contracts snapshot --module FILE [--export NAME] [--out FILE]
  tandem contracts check    --module FILE [--export NAME] --baseline FILE [--json]

The compatibility gate for CI. Imports FILE (compiled JavaScript), which must export an array
named 'services' (or the name given with --export), like tandem docs. 'snapshot' writes every
command, query and event of the app (routes, topics, versions, JSON Schemas, producers and
consumers) to --out (default: contracts.baseline.json); commit it. 'check' compares the app
with that baseline and prints each change as breaking or safe, with its reason and JSON path;
it exits 1 when a change is breaking. Event data must stay readable both ways (old producers'
messages in flight, consumers not yet redeployed) unless the version is bumped with an
upcaster from the old version; a command's input must accept what deployed callers send, its
output must parse in them.
`;

export const contractsOptions = {
  module: { type: 'string' },
  export: { type: 'string' },
  out: { type: 'string' },
  baseline: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** `tandem contracts snapshot|check`: writes an app's contracts to a baseline, or checks the app against one. */
export async function contracts(args: string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'snapshot' && action !== 'check') {
    io.stderr.write(
      `tandem contracts: expected 'snapshot' or 'check'${action ? `, got '${action}'` : ''}\n\n${contractsUsage}`,
    );
    return 2;
  }
  const { values } = parseArgs({ args: rest, options: contractsOptions, strict: true, allowPositionals: false });
  const command = `contracts ${action}`;
  if (!values.module)
    throw new ConfigError(
      `tandem ${command}: --module FILE is required (the compiled module exporting your services, e.g. --module dist/services.js)`,
    );
  const misplaced =
    action === 'snapshot'
      ? (['baseline', 'json'] as const).find((o) => values[o] !== undefined)
      : (['out'] as const).find((o) => values[o] !== undefined);
  if (misplaced)
    throw new ConfigError(
      `tandem ${command}: --${misplaced} belongs to the other action; see 'tandem contracts --help'`,
    );
  if (action === 'check' && !values.baseline)
    throw new ConfigError(
      `tandem ${command}: --baseline FILE is required (the file 'tandem contracts snapshot --out FILE' wrote and you committed)`,
    );
  const baseline = action === 'check' ? readBaseline(values.baseline!) : undefined;
  const current = contractsSnapshot(describeApp(await loadServices(command, values.module, values.export)));
  if (!baseline) {
    const out = values.out ?? 'contracts.baseline.json';
    writeFileSync(out, snapshotText(current));
    io.stdout.write(
      `wrote ${out}: ${Object.keys(current.sync).length} commands and queries, ${Object.keys(current.events).length} events\n`,
    );
    return 0;
  }
  const changes = checkContracts(baseline, current);
  if (values.json) for (const change of changes) io.stdout.write(JSON.stringify(change) + '\n');
  else io.stdout.write(report(changes));
  return changes.some((c) => c.breaking) ? 1 : 0;
}

function readBaseline(file: string): ContractsSnapshot {
  const fix = `write it with 'tandem contracts snapshot --module FILE --out ${file}'`;
  if (!existsSync(file)) throw new ConfigError(`tandem contracts check: --baseline ${file} does not exist; ${fix}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(
      `tandem contracts check: --baseline ${file} is not JSON (${(error as Error).message}); ${fix}`,
    );
  }
  const shape = parsed as Partial<Record<keyof ContractsSnapshot, unknown>> | null;
  const isObject = (v: unknown) => typeof v === 'object' && v !== null;
  if (shape?.format !== SNAPSHOT_FORMAT || !isObject(shape.sync) || !isObject(shape.events))
    throw new ConfigError(`tandem contracts check: --baseline ${file} is not a ${SNAPSHOT_FORMAT} baseline; ${fix}`);
  return parsed as ContractsSnapshot;
}

function report(changes: ContractChange[]): string {
  if (changes.length === 0) return 'no changes: the app matches the baseline\n';
  const lines = changes.map((c) => `${c.breaking ? 'BREAKING' : 'safe    '}  ${c.contract}  ${c.where}: ${c.reason}`);
  const breaking = changes.filter((c) => c.breaking).length;
  const count = changes.length === 1 ? '1 change' : `${changes.length} changes`;
  const summary = breaking
    ? `${count}, ${breaking} breaking: bump the contract's version with an upcaster, keep the old field, or add a new contract beside the old one`
    : `${count}, none breaking: refresh the baseline with tandem contracts snapshot`;
  return `${lines.join('\n')}\n\n${summary}\n`;
}
