import { redactCredentials } from '@tandem/core';

/** Header names never answered: credentials a producer may have copied onto a message. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie)$|token|secret|password|api[-_]?key/i;

/** The headers without credentials, URLs in their values redacted. */
export function safeHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {}))
    if (!SECRET_HEADER.test(name)) out[name] = redactCredentials(value);
  return out;
}

/** Free text (an error message) with URL credentials and `password=` values hidden. */
export function safeText(text: unknown): string | undefined {
  return typeof text === 'string' ? redactCredentials(text) : undefined;
}
