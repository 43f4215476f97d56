import { ConfigError } from '../errors/errors.js';
import type { DeadLetter, DeadLetterAccess } from '../transport/broker.js';

/** What `tandem dead-letters` says when pointed at the in-process broker from outside the app. */
export function memoryBrokerNote(group: string): string {
  return (
    `note: memory:// is the in-process broker: its dead letters live inside the running app's process, not in this command's. ` +
    `To see them, start the app's server with httpServer({ admin: { deadLetters: true } }) and run ` +
    `tandem dead-letters list --group ${group} --app http://127.0.0.1:3000 (replay works the same way), ` +
    `or look for 'dead-lettered' in the app's log.\n`
  );
}

interface LetterJson {
  id: string;
  group: string;
  topic: string;
  key?: string;
  reason: string;
  error?: string;
  attempts: number;
  deadLetteredAt: string;
  origin: DeadLetter['origin'];
  headers: Record<string, string>;
  body: string;
}

/** Dead-letter access through a running app's admin routes (`httpServer({ admin: { deadLetters: true } })`). */
export function appDeadLetters(base: string): DeadLetterAccess {
  let root: URL;
  try {
    root = new URL(base.endsWith('/') ? base : base + '/');
  } catch {
    throw new ConfigError(`--app: '${base}' is not a URL; give the app's HTTP address, e.g. http://127.0.0.1:3000`);
  }
  async function send(path: string, query: URLSearchParams, method: 'GET' | 'POST'): Promise<unknown> {
    const url = new URL(`admin/dead-letters${path}?${query}`, root);
    let res: Response;
    try {
      res = await fetch(url, { method });
    } catch (cause) {
      throw new ConfigError(`--app: ${url.origin} did not answer (${(cause as Error).message}); is the app running?`, {
        cause,
      });
    }
    const body = (await res.json().catch(() => undefined)) as { detail?: string } | undefined;
    if (res.status === 404)
      throw new ConfigError(
        `--app: ${url.origin} serves no admin routes; start its server with httpServer({ admin: { deadLetters: true } })`,
      );
    if (!res.ok)
      throw new ConfigError(`--app: ${url.origin} answered ${res.status}: ${body?.detail ?? res.statusText}`);
    return body;
  }
  return {
    async list(group, options = {}) {
      const query = new URLSearchParams({ group });
      if (options.limit !== undefined) query.set('limit', String(options.limit));
      const body = (await send('', query, 'GET')) as { groups: { deadLetters: LetterJson[] }[] };
      return (body.groups[0]?.deadLetters ?? []).map((l) => ({
        id: l.id,
        group: l.group,
        message: {
          topic: l.topic,
          ...(l.key !== undefined ? { key: l.key } : {}),
          headers: l.headers,
          body: new TextEncoder().encode(l.body),
        },
        reason: l.reason,
        ...(l.error !== undefined ? { error: l.error } : {}),
        attempts: l.attempts,
        deadLetteredAt: l.deadLetteredAt,
        origin: l.origin,
      }));
    },
    async replay(group, ids) {
      const query = new URLSearchParams({ group });
      for (const id of ids) query.append('id', id);
      const body = (await send('/replay', query, 'POST')) as { replayed: number };
      return body.replayed;
    },
  };
}
