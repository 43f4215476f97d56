import type { SrvRecord } from 'node:dns';
import { UnavailableError } from '@tandem/core';
import { settingFor, type ServiceSource } from './discovery-url.js';

/** The part of node:dns/promises that discovery uses; tests pass their own. */
export interface DnsResolver {
  resolve4(hostname: string): Promise<string[]>;
  resolve6(hostname: string): Promise<string[]>;
  resolveSrv(hostname: string): Promise<SrvRecord[]>;
}

function originOf(protocol: string, host: string, port: number): string {
  const bare = host.replace(/\.$/, '');
  return `${protocol}//${bare.includes(':') ? `[${bare}]` : bare}:${port}`;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : (error as Error).message;
}

function unresolved(service: string, name: string, code: string, cause?: unknown): UnavailableError {
  return new UnavailableError(
    `DNS name ${name} did not resolve (${code}) for service '${service}'; check the name, or ${settingFor(service)}`,
    { cause, details: { service, name, dnsCode: code } },
  );
}

/** The origins a DNS source names now; rejects with an error naming the service and the setting. */
export async function resolveSource(
  service: string,
  source: Exclude<ServiceSource, { kind: 'static' }>,
  resolver: DnsResolver,
): Promise<string[]> {
  if (source.kind === 'srv') {
    let records: SrvRecord[];
    try {
      records = await resolver.resolveSrv(source.name);
    } catch (error) {
      throw unresolved(service, source.name, codeOf(error), error);
    }
    if (records.length === 0) throw unresolved(service, source.name, 'no SRV records');
    // Only the most preferred priority is used; the others are fallbacks for when it has none.
    const best = Math.min(...records.map((record) => record.priority));
    return records
      .filter((record) => record.priority === best)
      .map((record) => originOf(source.protocol, record.name, record.port));
  }
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(source.host), resolver.resolve6(source.host)]);
  const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
  if (addresses.length > 0) return addresses.map((address) => originOf(source.protocol, address, source.port));
  const failures = [v4, v6].flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  // ENODATA (no record of one family) says less than the other family's error.
  const telling = failures.find((error) => codeOf(error) !== 'ENODATA') ?? failures[0];
  throw unresolved(service, source.host, telling === undefined ? 'no A/AAAA records' : codeOf(telling), telling);
}
