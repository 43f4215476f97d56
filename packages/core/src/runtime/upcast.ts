/**
 * Brings a consumed event's data from the version it was published at to the version its
 * handler is typed for: validated with its own version's schema, then upcast one version
 * at a time. The current schema validates the result later, in the handler's steps, as it
 * validates data published at the current version.
 */
import type { EventContract, Schema } from '../contracts/contracts.js';
import type { CheckedOlder } from '../contracts/versions.js';
import { ValidationError } from '../errors/errors.js';
import { dataschemaOf } from '../messages/envelope.js';
import { safeParse } from '../middleware/validation.js';
import { issuesOf } from '../middleware/validation-limits.js';
import { runtimeInstruments } from '../metrics/runtime-metrics.js';

/** Where the data now stands: ready for the current schema, or of a version this consumer cannot read. */
export type Upcasted =
  { kind: 'current'; data: unknown; from: number } | { kind: 'unknown-version'; seen: number; known: string };

const VERSION = /:v(\d{1,9})$/;

/**
 * The version in a CloudEvents `dataschema` of this contract (`urn:tandem:event:<name>:v<n>`).
 * No dataschema, or one that is not Tandem's (a foreign producer's URL), counts as the current version.
 */
export function versionOf(contract: EventContract, dataschema: string | undefined): number {
  // Every delivery asks; nearly all carry the current version, found by one comparison.
  if (dataschema === undefined || dataschema === dataschemaOf(contract)) return contract.version;
  if (!dataschema.startsWith(`urn:tandem:event:${contract.name}:v`)) {
    return contract.version;
  }
  const match = VERSION.exec(dataschema);
  return match ? Number(match[1]) : contract.version;
}

/** The versions a contract reads, as text for logs and dead-letter errors: `1..3`, or `2`. */
export function knownVersions(contract: EventContract): string {
  const oldest = Math.min(contract.version, ...contract.olderVersions.keys());
  const range = oldest === contract.version ? `${contract.version}` : `${oldest}..${contract.version}`;
  return contract.accepts === 'newer' ? `${range} and newer` : range;
}

/**
 * Validates data of version `version` and upcasts it to the contract's current version.
 * Throws ValidationError when the data does not match its own version's schema (or an
 * upcast's result does not match the next one's); an upcast that throws propagates.
 */
export async function upcastToCurrent(contract: EventContract, version: number, data: unknown): Promise<Upcasted> {
  if (version === contract.version) return { kind: 'current', data, from: version };
  if (version > contract.version) {
    if (contract.accepts === 'newer') return { kind: 'current', data, from: version };
    return { kind: 'unknown-version', seen: version, known: knownVersions(contract) };
  }
  if (!contract.olderVersions.has(version)) {
    return { kind: 'unknown-version', seen: version, known: knownVersions(contract) };
  }
  const value = await upcastSteps(contract.name, 'data', contract.olderVersions, version, contract.version, data);
  if (runtimeInstruments().enabled) {
    runtimeInstruments().upcasts.add(1, { 'tandem.event.type': contract.name, 'tandem.event.from_version': version });
  }
  return { kind: 'current', data: value, from: version };
}

/**
 * Validates `value`, written at version `from`, with each older version's schema in turn
 * and upcasts it one version at a time up to `to`. Throws ValidationError naming the
 * version whose schema refused it (or the next one's, for an upcast's result); an upcast
 * that throws propagates.
 */
export async function upcastSteps<F extends 'data' | 'input'>(
  name: string,
  field: F,
  steps: ReadonlyMap<number, CheckedOlder<F>>,
  from: number,
  to: number,
  value: unknown,
): Promise<unknown> {
  for (let n = from; n < to; n++) {
    const older = steps.get(n)!;
    const parsed = await safeParse(older[field] as Schema, value);
    if (!parsed.success) {
      const issues = issuesOf(parsed.error, 3)
        .map((issue) => `${issue.path || '(root)'}: ${issue.message}`)
        .join('; ');
      throw new ValidationError(`${name}: invalid ${field} of version ${n}: ${issues}`, {
        details: { version: n, issues: issuesOf(parsed.error, 20) },
      });
    }
    value = await (older.upcast as (value: unknown) => unknown)(parsed.data);
  }
  return value;
}
