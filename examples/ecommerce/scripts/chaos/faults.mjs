// The faults a run can inject, how a --faults list expands, and the seeded schedule:
// every fault gets a point in the load (a share of the orders answered) and its own
// durations, all drawn from the run's PRNG, and they run one after another.
import { between, pick, shuffled } from './prng.mjs';
import { SERVICES } from './cluster.mjs';

const KAFKA = {
  // OffsetCommit (ApiKey 8) refused with REBALANCE_IN_PROGRESS (27).
  'kafka-commit': { apiKey: 8, code: 27 },
  // Produce (ApiKey 0) refused with NOT_LEADER_FOR_PARTITION (6).
  'kafka-produce': { apiKey: 0, code: 6 },
};
const COMMON = ['broker-cut', 'broker-outage', 'kill', 'term', 'pg-terminate', 'start-order'];
export const FAULT_KINDS = [...COMMON, ...Object.keys(KAFKA)];

function kindsFor(broker) {
  return broker === 'kafka' ? FAULT_KINDS : COMMON;
}

/**
 * `all`, `none`, or a comma-separated list of `broker-cut`, `broker-outage[:seconds]`,
 * `kill[:service]`, `term[:service]` (without a service: each of the five in turn),
 * `pg-terminate`, `start-order`, and on Kafka `kafka-commit`, `kafka-produce`.
 */
export function parseFaults(text, broker) {
  const faults = [];
  for (const token of text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)) {
    const [kind, arg] = token.split(':');
    if (kind === 'none') continue;
    if (kind === 'all') {
      faults.push(...kindsFor(broker).flatMap((k) => expand(k, undefined)));
      continue;
    }
    if (!FAULT_KINDS.includes(kind))
      throw new Error(`--faults: unknown fault '${kind}'; expected all, none or some of ${FAULT_KINDS.join(', ')}`);
    if (!kindsFor(broker).includes(kind)) throw new Error(`--faults: '${kind}' needs --broker kafka`);
    faults.push(...expand(kind, arg));
  }
  return faults;
}

function expand(kind, arg) {
  if (kind === 'kill' || kind === 'term') {
    if (arg !== undefined && !SERVICES.includes(arg))
      throw new Error(`--faults: ${kind}:${arg}: expected one of ${SERVICES.join(', ')}`);
    return (arg ? [arg] : SERVICES).map((target) => ({ kind, target }));
  }
  if (kind === 'broker-outage' && arg !== undefined) {
    if (!/^\d+$/.test(arg) || Number(arg) < 1)
      throw new Error(`--faults: broker-outage:${arg}: expected whole seconds`);
    return [{ kind, seconds: Number(arg) }];
  }
  if (arg !== undefined) throw new Error(`--faults: '${kind}' takes no argument (got '${arg}')`);
  return [{ kind }];
}

/** --quick: one fault of each kind, the services to kill and stop picked by the seed. */
export function quickFaults(broker, random) {
  return kindsFor(broker).flatMap((kind) =>
    kind === 'kill' || kind === 'term' ? [{ kind, target: pick(random, SERVICES) }] : expand(kind, undefined),
  );
}

/**
 * Draws each fault's point in the load (between 5 % and 85 % of the orders answered) and
 * its durations. `start-order` is not mid-load: the run starts orders, payments, shipping and
 * notifications, puts load on orders, and starts inventory only after a delay.
 */
export function schedule(faults, random) {
  const timed = shuffled(
    random,
    faults.filter((f) => f.kind !== 'start-order'),
  );
  const points = timed.map(() => 0.05 + random() * 0.8).sort((a, b) => a - b);
  const planned = timed.map((fault, i) => {
    const at = Math.round(points[i] * 100) / 100;
    switch (fault.kind) {
      case 'kill':
      case 'term':
        return { ...fault, at, pauseMs: between(random, 500, 3_000) };
      case 'broker-outage':
        return { ...fault, at, seconds: fault.seconds ?? between(random, 3, 8) };
      case 'kafka-commit':
      case 'kafka-produce':
        return { ...fault, at, count: between(random, 1, 5) };
      default:
        return { ...fault, at };
    }
  });
  const startOrder = faults.some((f) => f.kind === 'start-order')
    ? { delayMs: between(random, 2_000, 5_000) }
    : undefined;
  return { startOrder, timed: planned };
}

export function describeFault(fault) {
  const name = fault.target ? `${fault.kind}:${fault.target}` : fault.kind;
  const extra =
    fault.pauseMs !== undefined
      ? `, restart after ${(fault.pauseMs / 1000).toFixed(1)} s`
      : fault.seconds !== undefined
        ? `, ${fault.seconds} s`
        : fault.count !== undefined
          ? `, ${fault.count} request(s)`
          : '';
  return `${name} at ${Math.round(fault.at * 100)}%${extra}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Injects one fault and returns once it is over (the service restarted and ready, the
 * broker listening again) with a line saying what it did.
 * @param {{ cluster: any, broker: any, database: any }} run
 */
export async function inject(fault, { cluster, broker, database }) {
  switch (fault.kind) {
    case 'kill':
    case 'term': {
      const stopped = await cluster.stop(fault.target, fault.kind === 'kill' ? 'SIGKILL' : 'SIGTERM');
      await sleep(fault.pauseMs);
      cluster.start(fault.target);
      const back = await cluster.untilReady([fault.target], 60_000);
      const how = stopped
        ? `exited ${stopped.by ?? stopped.code} after ${stopped.ms} ms${stopped.hung ? ' (SIGKILLed: stop hung)' : ''}`
        : 'was not running';
      return `${fault.target} ${how}${back ? '' : '; not ready 60 s after its restart'}`;
    }
    case 'broker-cut':
      return broker.cut();
    case 'broker-outage': {
      const cut = await broker.down();
      await sleep(fault.seconds * 1000);
      await broker.up();
      return `broker refused connections for ${fault.seconds} s${typeof cut === 'number' ? ` (${cut} cut)` : ''}`;
    }
    case 'pg-terminate':
      return `${await database.terminateConnections()} backend(s) of the run's database terminated`;
    case 'kafka-commit':
    case 'kafka-produce': {
      const { apiKey, code } = KAFKA[fault.kind];
      await broker.failNextRequests(apiKey, Array(fault.count).fill(code));
      return `next ${fault.count} request(s) of ApiKey ${apiKey} answered with error ${code}`;
    }
    default:
      throw new Error(`chaos: no injector for ${fault.kind}`);
  }
}
