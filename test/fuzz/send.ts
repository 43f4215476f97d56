import { Client, errors } from 'undici';
import type { FuzzRequest } from './requests.js';

export type Outcome =
  | {
      kind: 'answer';
      status: number;
      bytes: number;
      truncated: boolean;
      headers: Record<string, string | string[] | undefined>;
    }
  | { kind: 'refused-by-client'; message: string }
  | { kind: 'socket-error'; message: string }
  | { kind: 'no-answer'; message: string };

/** Longest a request may go unanswered: far above any handler here, far below a hang. */
const ANSWER_WITHIN_MS = 30_000;

/**
 * Sends one request on a connection of its own and reads at most `cap + 1` bytes of its
 * answer, within ANSWER_WITHIN_MS whatever the client does with its abort signal. A
 * connection per request keeps one request's fate from another's: undici's Pool was seen
 * holding queued requests with no connection after a server closed one on a 431.
 */
export async function send(origin: string, request: FuzzRequest, cap: number): Promise<Outcome> {
  const client = new Client(origin);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Outcome>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          kind: 'no-answer',
          message: `no answer within ${ANSWER_WITHIN_MS + 5_000} ms (the abort did not end it)`,
        }),
      ANSWER_WITHIN_MS + 5_000,
    );
  });
  try {
    return await Promise.race([exchange(client, request, cap), late]);
  } finally {
    clearTimeout(timer);
    await client.destroy();
  }
}

async function exchange(client: Client, request: FuzzRequest, cap: number): Promise<Outcome> {
  try {
    const res = await client.request({
      method: request.method,
      path: request.path,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(ANSWER_WITHIN_MS),
    });
    let bytes = 0;
    let truncated = false;
    for await (const chunk of res.body) {
      bytes += (chunk as Buffer).length;
      if (bytes > cap) {
        truncated = true;
        res.body.destroy();
        break;
      }
    }
    return { kind: 'answer', status: res.statusCode, bytes, truncated, headers: res.headers };
  } catch (error) {
    if (error instanceof errors.InvalidArgumentError) return { kind: 'refused-by-client', message: error.message };
    if (error instanceof DOMException && error.name === 'TimeoutError')
      return { kind: 'no-answer', message: `no answer within ${ANSWER_WITHIN_MS} ms` };
    return {
      kind: 'socket-error',
      message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    };
  }
}
