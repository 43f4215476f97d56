/**
 * The gate's verdict on a command's or query's input. Deployed callers write it and the new
 * service reads it. A typed caller sends the version of the contract it was built against
 * (`tandem-contract-version`), and the service takes that version's input only if its
 * contract still declares it: as the current version, or as an older one with an upcaster.
 * So a breaking input change is safe when it comes with a new version and an upcaster from
 * the baseline's version; the same change at the same version is breaking, as is a version
 * bumped without that upcaster, or an older version the service stops taking.
 */
import type { ContractChange } from './check.js';
import { diffSchemas, type Directions, type SchemaChange } from './schema-diff.js';
import type { SyncSnapshot } from './snapshot.js';

const inputDirections: Directions = {
  oldToNew: true,
  newToOld: false,
  oldToNewHarm: 'deployed callers send what the service now rejects',
  newToOldHarm: '',
};

const REFUSED = '400 TANDEM_UNSUPPORTED_VERSION';

function located(contract: string, where: string, list: SchemaChange[]): ContractChange[] {
  return list.map((c) => ({ contract, where: `${where} ${c.path}`, breaking: c.breaking, reason: c.reason }));
}

/** The versions a snapshot's service takes: its older ones and its current one (1 when the baseline names none). */
function taken(snapshot: SyncSnapshot): number[] {
  return [...(snapshot.upcastsFrom ?? []), snapshot.version ?? 1];
}

/** Every input change between a baseline's command or query and the app's, breaking or safe. */
export function inputChanges(contract: string, before: SyncSnapshot, after: SyncSnapshot): ContractChange[] {
  const [was, now] = [before.version ?? 1, after.version ?? 1];
  const changes: ContractChange[] = [];
  // Callers built against any version the baseline took may still be deployed.
  for (const version of taken(before).filter((v) => v !== was && !taken(after).includes(v))) {
    const reason = `version ${version} no longer taken: callers still built against it get ${REFUSED}; drop it once none is deployed, then refresh the baseline`;
    changes.push({ contract, where: 'version', breaking: true, reason });
  }
  if (was === now) {
    return [...changes, ...located(contract, 'input', diffSchemas(before.input, after.input, inputDirections))];
  }
  const bump = `version ${was} → ${now}`;
  if (now < was) {
    const reason = `${bump}: a version never goes back; callers built against version ${was} get ${REFUSED}`;
    return [...changes, { contract, where: 'version', breaking: true, reason }];
  }
  if (!after.upcastsFrom?.includes(was)) {
    const reason = `${bump} without an upcaster from version ${was}: deployed callers send version ${was} and get ${REFUSED}; declare from: { ${was}: { input, upcast } }`;
    changes.push({ contract, where: 'version', breaking: true, reason });
    return [...changes, ...located(contract, 'input', diffSchemas(before.input, after.input, inputDirections))];
  }
  changes.push({
    contract,
    where: 'version',
    breaking: false,
    reason: `${bump}, with an upcaster from version ${was}`,
  });
  // The upcaster reads what deployed callers send: its declared schema must accept the old input.
  const upcasterInput = after.upcasterInput?.[String(was)];
  if (upcasterInput) {
    const harm = `the upcaster from version ${was} rejects what version-${was} callers send`;
    const directions: Directions = { oldToNew: true, newToOld: false, oldToNewHarm: harm, newToOldHarm: '' };
    changes.push(...located(contract, `upcaster ${was} input`, diffSchemas(before.input, upcasterInput, directions)));
  }
  const upcast = `safe: version-${was} input is upcast`;
  const none: Directions = { ...inputDirections, oldToNew: false };
  for (const c of diffSchemas(before.input, after.input, none))
    changes.push({ contract, where: `input ${c.path}`, breaking: false, reason: `${c.reason} (${upcast})` });
  return changes;
}
