/**
 * Where `tandem replay` runs the replay: in this process with the broker and store its URLs
 * name, or in a running app through its admin route (`--app`, see app-replay-client.ts).
 */
import { brokerFromUrl, storeFromUrl } from '../config/from-env.js';
import { ConfigError } from '../errors/errors.js';
import { deliveryOf, historyFor } from '../replay/app-replay.js';
import { replay, type ReplayProgress, type ReplayResult } from '../replay/replay.js';
import type { Store } from '../stores/store.js';
import type { BrokerTransport } from '../transport/broker.js';
import type { ReplayRequest } from './replay-options.js';

export interface ReplaySource {
  replay(
    request: ReplayRequest,
    onProgress: (progress: ReplayProgress) => void,
    signal: AbortSignal,
  ): Promise<ReplayResult>;
  close(): Promise<void>;
}

/** What `tandem replay` says when pointed at the in-process broker from outside the app. */
export function memoryReplayNote(group: string, what: 'broker' | 'store'): string {
  return (
    `tandem replay: ${what === 'broker' ? `--broker memory:// is the in-process broker: its consumer groups live` : `--store memory:// is the in-process store: its outbox lives`} ` +
    `inside the running app's process, not in this command's. Let the app replay: start its server with ` +
    `httpServer({ admin: { replay: true } }) and run tandem replay --app http://127.0.0.1:3000 --group ${group} ...`
  );
}

interface SourceUrls {
  broker?: string | undefined;
  store?: string | undefined;
}

/** The broker (`--broker`, TANDEM_BROKER_URL) delivers; its history or the store's outbox (`--store`) is read. */
export async function urlReplaySource(
  request: ReplayRequest,
  flags: SourceUrls,
  env: Record<string, string | undefined>,
): Promise<ReplaySource> {
  const brokerUrl = flags.broker ?? env.TANDEM_BROKER_URL;
  if (!brokerUrl)
    throw new ConfigError(
      'tandem replay: pass --broker URL (the broker that delivers to the group), --app URL (a running app replays), or set TANDEM_BROKER_URL',
    );
  const broker = await brokerFromUrl(brokerUrl, flags.broker !== undefined ? '--broker' : 'TANDEM_BROKER_URL');
  let store: Store | undefined;
  try {
    if (broker.name === 'memory') throw new ConfigError(memoryReplayNote(request.group, 'broker'));
    store = await storeFor(broker, request, flags, env);
    const history = historyFor(broker, store, request.from);
    const delivery = deliveryOf(broker);
    await broker.connect();
    await store?.connect?.();
    return {
      replay: (req, onProgress, signal) =>
        replay(history, delivery, {
          group: req.group,
          types: req.types,
          topics: req.topics ?? req.types,
          since: req.since,
          until: req.until,
          dryRun: req.dryRun,
          ...(req.ratePerSecond !== undefined ? { ratePerSecond: req.ratePerSecond } : {}),
          ...(req.batchSize !== undefined ? { batchSize: req.batchSize } : {}),
          onProgress,
          signal,
        }),
      close: () => closeBoth(broker, store),
    };
  } catch (error) {
    await closeBoth(broker, store).catch(() => undefined);
    throw error;
  }
}

/** The store whose outbox is the history, when the broker keeps none (or `--from outbox`); else none. */
async function storeFor(
  broker: BrokerTransport,
  request: ReplayRequest,
  flags: SourceUrls,
  env: Record<string, string | undefined>,
): Promise<Store | undefined> {
  // --from broker needs none; without a broker history, historyFor says so.
  if (request.from === 'broker' || (request.from !== 'outbox' && broker.history)) return undefined;
  const url = flags.store ?? env.TANDEM_STORE_URL;
  if (!url)
    throw new ConfigError(
      request.from === 'outbox'
        ? "tandem replay --from outbox: pass --store URL (or set TANDEM_STORE_URL), the producer's store whose outbox keeps its published events"
        : `tandem replay: the ${broker.name} broker keeps no history of published events; pass --store URL (or set TANDEM_STORE_URL), the producer's store whose outbox keeps them`,
    );
  const store = await storeFromUrl(url, flags.store !== undefined ? '--store' : 'TANDEM_STORE_URL');
  // memory:// gives no store at all here (an app makes its own in-process one).
  if (!store || store.name === 'memory') throw new ConfigError(memoryReplayNote(request.group, 'store'));
  return store;
}

async function closeBoth(broker: BrokerTransport, store: Store | undefined): Promise<void> {
  try {
    await broker.close();
  } finally {
    await store?.close?.();
  }
}
