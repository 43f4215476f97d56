/**
 * Credentials out of anything shown to a person or a log: error messages, health details,
 * CLI output. A URL's whole user-info goes, the user name too: `/health/ready` may be
 * reachable by anyone, and a user name is half of a login.
 */

/**
 * `scheme://...@`: the user-info of a URL inside free text, up to the last `@` before a space
 * or quote, so that a password with an unencoded `@` or `/` (a URL that did not parse) is
 * hidden whole; hiding a host as well is the better mistake.
 */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s'"]*@/gi;
/** The placeholder a message's example URL shows (`amqp://user:password@host`), which is no secret. */
const PLACEHOLDER = /^[a-z][a-z0-9+.-]*:\/\/user:pass(word)?@$/i;
/** `password=...` and similar query or key=value pairs (libpq's `password=` in a DSN). */
const SECRET_PARAM = /\b(password|passwd|pass|pwd|secret|token|access_token|api_key|apikey)=([^&\s'"]*)/gi;

/** The URL with its user and password replaced by `***` and its query parameters' secrets hidden. */
export function redactUrl(url: string | URL): string {
  return redactCredentials(String(url));
}

/** `text` with every URL user-info and `password=` value in it replaced by `***`. */
export function redactCredentials(text: string): string {
  return text
    .replace(USERINFO, (all, scheme: string) => (PLACEHOLDER.test(all) ? all : `${scheme}***@`))
    .replace(SECRET_PARAM, '$1=***');
}
