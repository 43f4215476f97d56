import { errors, type Pool } from 'undici';
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

/** Sends one request and reads at most `cap + 1` bytes of its answer. */
export async function send(client: Pool, request: FuzzRequest, cap: number): Promise<Outcome> {
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
