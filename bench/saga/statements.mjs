// Counts the statements the store sends to PostgreSQL, by their first word (BEGIN, INSERT,
// SAVEPOINT, ...), and the bytes it sends: each statement is a round trip, and on this kind
// of host the socket writes are most of a step's CPU. Patches the `pg` that @tandem/store-postgres loads (not
// the bench's own copy, which the bench's admin connection uses).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.resolve('@tandem/store-postgres'));
const { Client } = require('pg');

const counts = new Map();
// Every connection's socket, kept after it closes: its bytesWritten stays readable.
const sockets = new Set();
const query = Client.prototype.query;
Client.prototype.query = function countedQuery(config, ...rest) {
  const socket = this.connection?.stream;
  if (socket && typeof socket.bytesWritten === 'number') sockets.add(socket);
  const text = typeof config === 'string' ? config : config?.text;
  if (typeof text === 'string') {
    let word = /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase() ?? 'OTHER';
    // A data-modifying WITH counts as what it modifies.
    if (word === 'WITH') word = /\b(INSERT|UPDATE|DELETE)\b/i.exec(text)?.[1]?.toUpperCase() ?? 'SELECT';
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return query.call(this, config, ...rest);
};

/** Statements sent so far, by first word, and the bytes sent to PostgreSQL (key BYTES). */
export function statementCounts() {
  let bytes = 0;
  for (const socket of sockets) bytes += socket.bytesWritten;
  return { ...Object.fromEntries(counts), BYTES: bytes };
}

/** What was sent between two readings. */
export function statementDelta(before, after) {
  return Object.fromEntries(Object.entries(after).map(([word, n]) => [word, n - (before[word] ?? 0)]));
}
