import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, fromEnv, TimeoutError, UnavailableError } from '@tandem/core';
import { httpClient, type HttpClient } from '../src/index.js';
import { InventoryInstance, WhoAmI } from './balancing-fixtures.js';
import { FakeResolver } from './discovery-resolver.js';

const NAME = 'inventory.default.svc';
const SRV = '_http._tcp.inventory.default.svc';

let instances: InventoryInstance[] = [];
let client: HttpClient | undefined;
afterEach(async () => {
  await client?.close();
  await Promise.all(instances.map((i) => i.stop()));
  instances = [];
  client = undefined;
});

/** Three instances on one port, at 127.0.0.1, .2 and .3: what A records of a headless service look like. */
async function onePortThreeAddresses() {
  const a = await InventoryInstance.start('a', '127.0.0.1');
  const port = a.listeningPort;
  const [b, c] = await Promise.all([
    InventoryInstance.start('b', '127.0.0.2', port),
    InventoryInstance.start('c', '127.0.0.3', port),
  ]);
  instances = [a, b!, c!];
  return { a, b: b!, c: c!, port };
}

async function whoAnswers(calls: number, options: { ms?: number } = {}): Promise<Set<string>> {
  const answers = await Promise.all(Array.from({ length: calls }, () => client!.call(WhoAmI, options)));
  return new Set(answers.map((answer) => answer.instance));
}

describe('DNS discovery (A/AAAA) with re-resolution', () => {
  it('balances over the addresses of a name, uses new ones and drains removed ones after a refresh', async () => {
    const { a, port } = await onePortThreeAddresses();
    const resolver = new FakeResolver();
    resolver.a.set(NAME, ['127.0.0.1', '127.0.0.2']);
    client = httpClient({ services: { inventory: `dns+http://${NAME}:${port}` }, dns: { resolver, refreshMs: 50 } });
    expect(await whoAnswers(20)).toEqual(new Set(['a', 'b']));

    // Slow calls in flight on every instance, then a goes out of DNS and c comes in.
    const slow = Promise.all(Array.from({ length: 6 }, () => client!.call(WhoAmI, { ms: 300 })));
    await vi.waitFor(() => expect(a.served).toBeGreaterThanOrEqual(13));
    resolver.a.set(NAME, ['127.0.0.2', '127.0.0.3']);
    await vi.waitFor(() => expect(client!.instances().inventory!.map((i) => i.origin)).not.toContain(a.url));
    const servedByA = a.served;
    expect(await whoAnswers(20)).toEqual(new Set(['b', 'c']));
    expect(a.served).toBe(servedByA);
    // The removed instance's pool closed only after its calls answered.
    expect(new Set((await slow).map((answer) => answer.instance))).toEqual(new Set(['a', 'b']));
  });

  it('keeps the last known instances while DNS fails, and picks up changes when it is back', async () => {
    const { port } = await onePortThreeAddresses();
    const resolver = new FakeResolver();
    resolver.a.set(NAME, ['127.0.0.1']);
    client = httpClient({ services: { inventory: `dns+http://${NAME}:${port}` }, dns: { resolver, refreshMs: 30 } });
    expect(await whoAnswers(5)).toEqual(new Set(['a']));
    resolver.outage = 'ETIMEOUT';
    const queries = resolver.queries;
    await vi.waitFor(() => expect(resolver.queries).toBeGreaterThan(queries + 4));
    expect(await whoAnswers(5)).toEqual(new Set(['a']));
    resolver.outage = undefined;
    resolver.a.set(NAME, ['127.0.0.3']);
    await vi.waitFor(async () => expect(await whoAnswers(3)).toEqual(new Set(['c'])));
  });

  it('reads AAAA records too, an IPv6 address as a bracketed origin', async () => {
    const resolver = new FakeResolver();
    resolver.a.set(NAME, ['127.0.0.1']);
    resolver.aaaa.set(NAME, ['::1']);
    client = httpClient({ services: { inventory: `dns+http://${NAME}:3999/api` }, dns: { resolver } });
    await client.ready();
    expect(
      client
        .instances()
        .inventory!.map((i) => i.origin)
        .sort(),
    ).toEqual(['http://127.0.0.1:3999', 'http://[::1]:3999']);
  });
});

describe('DNS discovery (SRV)', () => {
  it('uses the SRV targets of the most preferred priority, with their ports, and follows changes', async () => {
    instances = await Promise.all(['a', 'b', 'c'].map((name) => InventoryInstance.start(name)));
    const [a, b, c] = instances as [InventoryInstance, InventoryInstance, InventoryInstance];
    const record = (i: InventoryInstance, priority: number) => ({
      name: '127.0.0.1.',
      port: i.listeningPort,
      priority,
      weight: 1,
    });
    const resolver = new FakeResolver();
    resolver.srv.set(SRV, [record(a, 10), record(b, 10), record(c, 20)]);
    client = httpClient({ services: { inventory: `dns+srv+http://${SRV}` }, dns: { resolver, refreshMs: 50 } });
    expect(await whoAnswers(20)).toEqual(new Set(['a', 'b']));
    resolver.srv.set(SRV, [record(b, 10), record(c, 10)]);
    await vi.waitFor(async () => expect(await whoAnswers(10)).toEqual(new Set(['b', 'c'])));
  });
});

describe('a service that cannot be found', () => {
  it('fails at ready() and at the first call, naming the DNS name, the service and the setting; resolves again later', async () => {
    instances = [await InventoryInstance.start('a')];
    const resolver = new FakeResolver();
    client = httpClient({
      services: { inventory: `dns+http://${NAME}:${instances[0]!.listeningPort}` },
      dns: { resolver },
    });
    const atStart = await client.ready().catch((e: unknown) => e);
    expect(atStart).toBeInstanceOf(UnavailableError);
    expect((atStart as Error).message).toBe(
      `DNS name ${NAME} did not resolve (ENOTFOUND) for service 'inventory'; check the name, or set TANDEM_SERVICE_INVENTORY_URL or pass services.inventory to httpClient()`,
    );
    const atCall = await client.call(WhoAmI, {}).catch((e: unknown) => e);
    expect((atCall as Error).message).toContain(`DNS name ${NAME} did not resolve (ENOTFOUND) for service 'inventory'`);

    // The service comes up later (start order in a cluster): the next call resolves the name again.
    resolver.a.set(NAME, ['127.0.0.1']);
    expect(await client.call(WhoAmI, {})).toEqual({ instance: 'a' });
  });

  it('counts a DNS server that does not answer against the call deadline', async () => {
    const never = () => new Promise<never>(() => undefined);
    client = httpClient({
      services: { inventory: `dns+http://${NAME}:3000` },
      dns: { resolver: { resolve4: never, resolve6: never, resolveSrv: never } },
    });
    const error = await client.call(WhoAmI, {}, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe("service 'inventory': DNS did not answer within the call's deadline");
  });

  it('says an SRV name without records did not resolve', async () => {
    const resolver = new FakeResolver();
    resolver.srv.set(SRV, []);
    client = httpClient({ services: { inventory: `dns+srv+http://${SRV}` }, dns: { resolver } });
    await expect(client.ready()).rejects.toThrow(
      `DNS name ${SRV} did not resolve (no SRV records) for service 'inventory'`,
    );
  });

  it('rejects a service with no URL, or a URL of another kind, when the client is made', () => {
    const noUrl = (() => httpClient({ services: { inventory: [] } })) as () => unknown;
    expect(noUrl).toThrow(ConfigError);
    expect(noUrl).toThrow(
      "no URL for service 'inventory': set TANDEM_SERVICE_INVENTORY_URL or pass services.inventory to httpClient()",
    );
    expect(() => httpClient({ services: { 'payment-gateway': 'ftp://pay' } })).toThrow(
      /service 'payment-gateway': 'ftp:\/\/pay' is not a service URL; .* set TANDEM_SERVICE_PAYMENT_GATEWAY_URL or pass services\['payment-gateway'\]/,
    );
    expect(() => httpClient({ services: { inventory: `dns+srv+http://${SRV}:80` } })).toThrow(
      /SRV records carry their own/,
    );
  });

  it('takes DNS service URLs from the environment', async () => {
    const config = await fromEnv({
      TANDEM_SERVICE_INVENTORY_URL: `dns+http://${NAME}:3000`,
      TANDEM_SERVICE_PAYMENT_GATEWAY_URL: `dns+srv+https://_https._tcp.pay.default.svc, http://10.0.0.9:80`,
    });
    expect(config.serviceUrls).toEqual({
      inventory: [`dns+http://${NAME}:3000`],
      'payment-gateway': ['dns+srv+https://_https._tcp.pay.default.svc', 'http://10.0.0.9:80'],
    });
    await config.broker.close();
  });
});
