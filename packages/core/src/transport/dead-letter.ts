import { Header } from '../messages/headers.js';
import type { DeadLetter, Disposition, IncomingMessage, OutgoingMessage } from './broker.js';

type DeadLetterDisposition = Extract<Disposition, { kind: 'dead-letter' }>;

function describeError(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code}: ` : ''}${error.message}`;
  }
  return String(error);
}

/**
 * The headers a dead-lettered message carries, the same on every broker: its original
 * headers plus reason, error, attempts, origin and time, so it can be inspected and replayed.
 */
export function deadLetterHeaders(
  message: IncomingMessage,
  group: string,
  disposition: DeadLetterDisposition,
  now: Date = new Date(),
): Record<string, string> {
  const headers: Record<string, string> = {
    ...message.headers,
    [Header.group]: group,
    [Header.deadLetterReason]: disposition.reason,
    [Header.deadLetterAttempts]: String(disposition.attempts),
    [Header.deadLetterTime]: now.toISOString(),
    [Header.originTopic]: message.origin.topic,
  };
  // A message without ce-id (not from a CloudEvents producer) keeps the id its transport
  // gave it on delivery, the one `list` shows and `replay` takes.
  if (!message.headers[Header.id] && message.id) headers[Header.deadLetterId] = message.id;
  const error = describeError(disposition.error);
  if (error !== undefined) headers[Header.deadLetterError] = error.slice(0, 2000);
  if (message.origin.partition !== undefined) headers[Header.originPartition] = String(message.origin.partition);
  if (message.origin.offset !== undefined) headers[Header.originOffset] = message.origin.offset;
  if (message.origin.queue !== undefined) headers[Header.originQueue] = message.origin.queue;
  return headers;
}

/** Reads a stored dead-lettered message (as `deadLetterHeaders` wrote it) back into a DeadLetter. */
export function readDeadLetter(stored: OutgoingMessage, fallbackGroup: string): DeadLetter {
  const h = stored.headers;
  const originalHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(h)) {
    if (!name.startsWith('tandem-dead-letter-') && !name.startsWith('tandem-origin-') && name !== Header.group) {
      originalHeaders[name] = value;
    }
  }
  delete originalHeaders[Header.attempt];
  const partition = h[Header.originPartition];
  const offset = h[Header.originOffset];
  const queue = h[Header.originQueue];
  const topic = h[Header.originTopic] ?? stored.topic;
  const error = h[Header.deadLetterError];
  return {
    id: h[Header.id] || h[Header.deadLetterId] || '',
    group: h[Header.group] ?? fallbackGroup,
    message: {
      topic,
      ...(stored.key !== undefined ? { key: stored.key } : {}),
      headers: originalHeaders,
      body: stored.body,
    },
    reason: h[Header.deadLetterReason] ?? 'unknown',
    ...(error !== undefined ? { error } : {}),
    attempts: Number(h[Header.deadLetterAttempts] ?? 0),
    deadLetteredAt: h[Header.deadLetterTime] ?? '',
    origin: {
      topic,
      ...(partition !== undefined ? { partition: Number(partition) } : {}),
      ...(offset !== undefined ? { offset } : {}),
      ...(queue !== undefined ? { queue } : {}),
    },
  };
}

/**
 * A dead letter as JSON, its body decoded as text: one line of `tandem dead-letters list
 * --json`, and an item of the admin route `GET /admin/dead-letters`, so both read alike.
 */
export function deadLetterJson(letter: DeadLetter): Record<string, unknown> {
  return {
    id: letter.id,
    group: letter.group,
    topic: letter.message.topic,
    key: letter.message.key,
    reason: letter.reason,
    error: letter.error,
    attempts: letter.attempts,
    deadLetteredAt: letter.deadLetteredAt,
    origin: letter.origin,
    headers: letter.message.headers,
    body: new TextDecoder().decode(letter.message.body),
  };
}
