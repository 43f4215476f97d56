/**
 * Idempotency-Key for commands (IETF draft-ietf-httpapi-idempotency-key-header): the
 * first request with a key runs; a duplicate while it runs gets 409; the same key with a
 * different request gets 422; once it completed, its response is replayed byte for byte
 * with its status. 5xx responses are not kept, so the client may retry. Keys are scoped
 * per command and caller (the auth hook's principal) and expire.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  IdempotencyInFlightError,
  IdempotencyMismatchError,
  MalformedRequestError,
  MemoryIdempotencyStore,
  type IdempotencyStore,
  type InvokeRequest,
  type StoredResponse,
  type SyncEndpoint,
  type SyncHost,
} from '@tandem/core';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem.js';

export interface IdempotencyOptions {
  /** Where records live: the app store's by default, else one in this process. */
  store?: IdempotencyStore;
  /** How long a completed response is replayed. Default 24 h. */
  ttlMs?: number;
  /** How long an unfinished request holds its key, should its instance die. Default 60 s. */
  lockTtlMs?: number;
}

export interface IdempotentRequest {
  store: IdempotencyStore;
  scope: string;
  key: string;
  fingerprint: string;
  path: string;
}

export const REPLAYED_HEADER = 'idempotent-replayed';
const MAX_KEY_LENGTH = 255;

export class IdempotencyGate {
  private fallback: IdempotencyStore | undefined;
  private readonly ttlMs: number;
  private readonly lockTtlMs: number;

  constructor(private readonly options: IdempotencyOptions = {}) {
    this.ttlMs = options.ttlMs ?? 24 * 60 * 60_000;
    this.lockTtlMs = options.lockTtlMs ?? 60_000;
  }

  /** The idempotent request, when this is a command that carries a key; undefined otherwise. */
  plan(
    host: SyncHost,
    endpoint: SyncEndpoint,
    request: InvokeRequest,
    method: string,
    path: string,
    input: unknown,
  ): IdempotentRequest | undefined {
    const key = request.idempotencyKey;
    if (key === undefined || endpoint.contract.kind !== 'command') return undefined;
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new MalformedRequestError(`Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters (got ${key.length})`);
    }
    const store = this.options.store ?? host.idempotency ?? (this.fallback ??= new MemoryIdempotencyStore());
    const fingerprint = createHash('sha256')
      .update(`${method} ${path}\n${JSON.stringify(input) ?? ''}`)
      .digest('base64url');
    return { store, scope: `${endpoint.contract.name} ${request.principal ?? ''}`, key, fingerprint, path };
  }

  /** Runs the command once per key and answers with its response, or replays the stored one. */
  async serve(plan: IdempotentRequest, run: () => Promise<unknown>, res: ServerResponse): Promise<void> {
    const { store, scope, key } = plan;
    const begun = await store.begin(scope, key, plan.fingerprint, this.lockTtlMs);
    if (begun.state === 'in-flight') {
      res.setHeader('retry-after', '1');
      throw new IdempotencyInFlightError(
        `a request with Idempotency-Key '${key}' is still being processed; retry later`,
      );
    }
    if (begun.state === 'mismatch') {
      throw new IdempotencyMismatchError(
        `Idempotency-Key '${key}' was already used with a different request; use a new key`,
      );
    }
    if (begun.state === 'completed') return send(res, begun.response, true);

    let response: StoredResponse;
    try {
      response = toResponse(await run());
    } catch (error) {
      const problem = toProblem(error, plan.path);
      if (problem.status >= 500) {
        await store.release(scope, key).catch(() => undefined);
        throw error;
      }
      response = {
        status: problem.status,
        headers: { 'content-type': PROBLEM_CONTENT_TYPE },
        body: JSON.stringify(problem),
      };
    }
    try {
      await store.complete(scope, key, response, this.ttlMs);
    } catch {
      // The command ran and its answer is known: send it. The key stays claimed until the lock lapses.
    }
    send(res, response, false);
  }
}

function toResponse(result: unknown): StoredResponse {
  if (result === undefined) return { status: 204, headers: {}, body: '' };
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
}

function send(res: ServerResponse, response: StoredResponse, replayed: boolean): void {
  if (res.destroyed) return;
  const headers: Record<string, string | number> = { ...response.headers };
  if (response.status !== 204) headers['content-length'] = Buffer.byteLength(response.body);
  if (replayed) headers[REPLAYED_HEADER] = 'true';
  res.writeHead(response.status, headers).end(response.status === 204 ? undefined : response.body);
}
