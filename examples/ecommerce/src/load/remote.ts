/** A shop the load only has the URL of: HTTP only, shipped polled order by order. */
import { type Dispatcher } from 'undici';
import { ownCpuMs } from './cpu.js';
import { httpStatusSource } from './shipped.js';
import { LOAD_PROCESS, type ShopTarget } from './target.js';

export function remoteShop(url: string, dispatcher: Dispatcher): ShopTarget {
  const base = url.replace(/\/+$/, '');
  return {
    describe: `a running shop at ${base} (accepted -> shipped polled over HTTP, which loads it)`,
    url: base,
    consoles: [{ process: 'orders', url: base }],
    cpu: async () => new Map([[LOAD_PROCESS, new Map([[process.pid, ownCpuMs()]])]]),
    status: httpStatusSource(base, dispatcher),
    eventsHandled: () => undefined,
    deadLetters: async () => undefined,
    close: async () => undefined,
  };
}
