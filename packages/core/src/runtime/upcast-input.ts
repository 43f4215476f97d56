/**
 * Brings a command's or query's input from the version its caller was built against to the
 * version its handler is typed for. A caller names its version in the
 * `tandem-contract-version` header (CallHeader.contractVersion); a server adapter reads it,
 * and only a version other than the current one comes here: its input is validated with its
 * own version's schema and upcast one version at a time. The current schema validates the
 * result later, in the handler's steps, as it validates input sent at the current version.
 */
import type { SyncContract } from '../contracts/contracts.js';
import { UnsupportedVersionError } from '../errors/errors.js';
import { CallHeader } from './call-transport.js';
import { runtimeInstruments } from '../metrics/runtime-metrics.js';
import { upcastSteps } from './upcast.js';

const VERSION = /^[1-9]\d{0,8}$/;
const HEADER = CallHeader.contractVersion;

const NONE: SyncContract['olderVersions'] = new Map();

/**
 * The contract's version and older inputs. A contract made by an older @tandem/core (a second
 * copy installed beside this one) has neither: it is version 1.
 */
function versionsOf(contract: SyncContract): Pick<SyncContract, 'version' | 'olderVersions'> {
  return { version: contract.version ?? 1, olderVersions: contract.olderVersions ?? NONE };
}

/** The versions a command or query takes, oldest first: its older versions, then the current one. */
export function inputVersions(contract: SyncContract): number[] {
  const { version, olderVersions } = versionsOf(contract);
  return [...olderVersions.keys(), version];
}

/** `1, 2 or 3`, `2`. */
function either(versions: readonly number[]): string {
  return versions.length === 1 ? `${versions[0]}` : `${versions.slice(0, -1).join(', ')} or ${versions.at(-1)}`;
}

/**
 * The version a request's `tandem-contract-version` header names, checked against the
 * contract. Throws UnsupportedVersionError, naming the contract, the versions it takes and
 * the fix, for a header that is not a positive integer, a version newer than the contract's,
 * or an older one it does not declare.
 */
export function requestedInputVersion(contract: SyncContract, header: string): number {
  const { version: current, olderVersions } = versionsOf(contract);
  const versions = inputVersions(contract);
  const takes = `'${contract.name}' takes input versions ${either(versions)} (current: ${current})`;
  const details = { contract: contract.name, versions, current };
  if (!VERSION.test(header)) {
    throw new UnsupportedVersionError(
      `${HEADER} '${header.slice(0, 20)}' is not a version: ${takes}; send one of these as a positive integer, or leave the header out for the current version`,
      { details: { ...details, requested: header.slice(0, 20) } },
    );
  }
  const version = Number(header);
  if (version === current || olderVersions.has(version)) return version;
  const fix =
    version > current
      ? `the caller was built against a newer contract than this service runs: deploy the service with version ${version} before its callers, or call with version ${current}`
      : `the service no longer declares version ${version}: rebuild the caller against version ${current}, or declare from[${version}] on its contract again`;
  throw new UnsupportedVersionError(`${HEADER} ${version}: ${takes}; ${fix}`, {
    details: { ...details, requested: version },
  });
}

/**
 * Validates `input`, written at `version`, with that version's schema and upcasts it to the
 * contract's current version. Throws ValidationError when the input does not match its own
 * version's schema (or an upcast's result does not match the next one's); an upcast that
 * throws propagates. `version` is one `requestedInputVersion` returned.
 */
export async function upcastInput(contract: SyncContract, version: number, input: unknown): Promise<unknown> {
  const { version: current, olderVersions } = versionsOf(contract);
  if (version === current) return input;
  const upcast = await upcastSteps(contract.name, 'input', olderVersions, version, current, input);
  // Shows when the last callers of a version are gone, and its upcaster can be removed.
  if (runtimeInstruments().enabled) {
    runtimeInstruments().inputUpcasts.add(1, {
      'tandem.contract': contract.name,
      'tandem.contract.from_version': version,
    });
  }
  return upcast;
}
