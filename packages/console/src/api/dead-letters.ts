import { deadLetterJson, MalformedRequestError, RouteNotFoundError, type DeadLetterAccess } from '@tandem/core';
import { safeHeaders, safeText } from './redact.js';

/** The broker's dead letters, as the admin route `/admin/dead-letters` reads them. */
export interface DeadLetterHost {
  readonly groups: readonly string[];
  readonly access: DeadLetterAccess;
}

function groupOf(host: DeadLetterHost, query: URLSearchParams, required: boolean): string | undefined {
  const group = query.get('group') ?? undefined;
  if (group === undefined && required) throw new MalformedRequestError('pass ?group=G');
  if (group !== undefined && !host.groups.includes(group))
    throw new MalformedRequestError(
      `no consumer group '${group}' in this app; its groups: ${host.groups.join(', ') || '(none)'}`,
    );
  return group;
}

/** `GET dead-letters[?group=G][&limit=N]`: each group's dead letters, oldest first, without credentials. */
export async function listDeadLetters(host: DeadLetterHost, query: URLSearchParams) {
  const group = groupOf(host, query, false);
  const limitText = query.get('limit');
  const limit = limitText === null ? 100 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1)
    throw new MalformedRequestError(`limit: expected a positive integer, got '${limitText}'`);
  const groups = [];
  for (const name of group !== undefined ? [group] : host.groups) {
    const letters = await host.access.list(name, { limit });
    groups.push({
      group: name,
      deadLetters: letters.map((letter) => {
        const json = deadLetterJson(letter);
        return { ...json, error: safeText(json.error), headers: safeHeaders(letter.message.headers) };
      }),
    });
  }
  return { canDiscard: typeof host.access.discard === 'function', groups };
}

/** `POST dead-letters/replay|discard?group=G&id=ID[&id=..]` (replay also takes `all=true`). */
export async function changeDeadLetters(host: DeadLetterHost, action: 'replay' | 'discard', query: URLSearchParams) {
  const group = groupOf(host, query, true)!;
  const all = action === 'replay' && query.get('all') === 'true';
  const chosen = query.getAll('id');
  if (all === chosen.length > 0)
    throw new MalformedRequestError(
      action === 'replay' ? 'replay: pass either id=ID (repeatable) or all=true' : 'discard: pass id=ID (repeatable)',
    );
  if (action === 'discard') {
    const discard = host.access.discard?.bind(host.access);
    if (!discard) throw new RouteNotFoundError(`this app's broker cannot discard single dead letters`);
    return { group, discarded: await discard(group, chosen), of: chosen.length };
  }
  const ids = all ? (await host.access.list(group)).map((l) => l.id) : chosen;
  const replayed = ids.length > 0 ? await host.access.replay(group, ids) : 0;
  return { group, replayed, of: ids.length };
}
