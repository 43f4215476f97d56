import { ConfigError, redactUrl } from '@tandem/core';

/** One app the local console shows: where its console API is, and how to call it. */
export interface AppTarget {
  /** Its place in the list, the `<n>` of `/apps/<n>/`. */
  readonly index: number;
  /** The URL as given, credentials redacted: what is shown and written in errors. */
  readonly shown: string;
  /** The app's console API root (`<url>/_tandem/api`), without credentials. */
  readonly api: URL;
  /** `Basic ...` from the URL's user and password, sent to the app instead of them; else undefined. */
  readonly authorization: string | undefined;
}

/**
 * The apps from their URLs (`http://user:pass@host:port/base`): the API is at
 * `/base/_tandem/api`, and a user and password in the URL become Basic credentials for the
 * app's `authorize` hook, never shown.
 */
export function appTargets(urls: readonly string[]): AppTarget[] {
  if (urls.length === 0)
    throw new ConfigError('the local console needs at least one app URL (--app http://127.0.0.1:3000)');
  return urls.map((text, index) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ConfigError(
        `--app '${redactUrl(text)}' is not a URL; give the app's base URL, e.g. http://127.0.0.1:3000`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new ConfigError(`--app '${redactUrl(text)}' is not an http:// or https:// URL`);
    const authorization =
      url.username || url.password
        ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
        : undefined;
    const api = new URL(url.href);
    api.username = '';
    api.password = '';
    api.search = '';
    api.hash = '';
    api.pathname = `${api.pathname.replace(/\/+$/, '')}/_tandem/api`;
    return { index, shown: redactUrl(url.href.replace(/\/$/, '')), api, authorization };
  });
}
