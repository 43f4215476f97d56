import { ConfigError } from '@tandem/core';

/** Where the instances of a service come from: a fixed origin, or a DNS name re-resolved on an interval. */
export type ServiceSource =
  | { kind: 'static'; origin: string }
  /** A/AAAA records of `host`, each address an instance on `port`. */
  | { kind: 'dns'; protocol: 'http:' | 'https:'; host: string; port: number }
  /** SRV records of `name` (e.g. `_http._tcp.inventory.default.svc`): target host and port of each instance. */
  | { kind: 'srv'; protocol: 'http:' | 'https:'; name: string };

export interface ParsedServiceUrl {
  source: ServiceSource;
  /** Path prefix of every call, from the URL's path (`http://host/api` → `/api`). */
  basePath: string;
  /** The service as one logical http(s) URL, for spans. */
  logical: URL;
}

/** What to change: the environment variable fromEnv reads, or the httpClient option. */
export function settingFor(service: string): string {
  const variable = `TANDEM_SERVICE_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;
  const key = /^[A-Za-z_$][\w$]*$/.test(service) ? `services.${service}` : `services['${service}']`;
  return `set ${variable} or pass ${key} to httpClient()`;
}

const SCHEMES = 'http://host:3000, dns+http://name:3000 (A/AAAA) or dns+srv+http://_http._tcp.name (SRV)';

/**
 * Reads one service URL. `http(s)://host:port/base` is one instance; `dns+http(s)://name:port/base`
 * is every A/AAAA address of `name` on `port`; `dns+srv+http(s)://_http._tcp.name/base` is every
 * SRV target of that name (as a Kubernetes headless service gives) with its own port.
 */
export function parseServiceUrl(service: string, raw: string): ParsedServiceUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `service '${service}' has an invalid URL '${raw}'; expected ${SCHEMES}: ${settingFor(service)}`,
    );
  }
  const basePath = url.pathname.replace(/\/$/, '');
  const scheme = url.protocol.replace(/:$/, '');
  const match = /^(dns\+srv\+|dns\+)?(https?)$/.exec(scheme);
  if (!match || url.hostname === '') {
    throw new ConfigError(
      `service '${service}': '${raw}' is not a service URL; expected ${SCHEMES}: ${settingFor(service)}`,
    );
  }
  const protocol = `${match[2]}:` as 'http:' | 'https:';
  const defaultPort = protocol === 'https:' ? 443 : 80;
  const port = url.port === '' ? defaultPort : Number(url.port);
  const logical = new URL(`${protocol}//${url.host}`);
  if (match[1] === undefined) return { source: { kind: 'static', origin: url.origin }, basePath, logical };
  if (match[1] === 'dns+') return { source: { kind: 'dns', protocol, host: url.hostname, port }, basePath, logical };
  if (url.port !== '') {
    throw new ConfigError(
      `service '${service}': '${raw}' gives a port, but SRV records carry their own; drop ':${url.port}': ${settingFor(service)}`,
    );
  }
  return { source: { kind: 'srv', protocol, name: url.hostname }, basePath, logical };
}
