import type { SrvRecord } from 'node:dns';
import type { DnsResolver } from '../src/index.js';

function notFound(name: string, code = 'ENOTFOUND'): Error {
  return Object.assign(new Error(`query ${code} ${name}`), { code, hostname: name });
}

/** A DNS answer book the test edits between refreshes, with node:dns/promises' resolve4/resolve6/resolveSrv. */
export class FakeResolver implements DnsResolver {
  readonly a = new Map<string, string[]>();
  readonly aaaa = new Map<string, string[]>();
  readonly srv = new Map<string, SrvRecord[]>();
  /** When set, every query fails with this code (a DNS outage). */
  outage: string | undefined;
  queries = 0;

  private answer<T>(book: Map<string, T[]>, name: string): Promise<T[]> {
    this.queries++;
    if (this.outage) return Promise.reject(notFound(name, this.outage));
    const records = book.get(name);
    if (records) return Promise.resolve(records);
    const known = this.a.has(name) || this.aaaa.has(name) || this.srv.has(name);
    return Promise.reject(notFound(name, known ? 'ENODATA' : 'ENOTFOUND'));
  }

  resolve4(name: string): Promise<string[]> {
    return this.answer(this.a, name);
  }

  resolve6(name: string): Promise<string[]> {
    return this.answer(this.aaaa, name);
  }

  resolveSrv(name: string): Promise<SrvRecord[]> {
    return this.answer(this.srv, name);
  }
}
