/** Names people write for a scheme Tandem spells otherwise. */
const ALIASES: Record<string, string> = {
  rabbitmq: 'amqp',
  rabbit: 'amqp',
  rabbitmqs: 'amqps',
  amqp091: 'amqp',
  pg: 'postgres',
  postgre: 'postgres',
  psql: 'postgres',
  mem: 'memory',
  inmemory: 'memory',
  'in-memory': 'memory',
};

/**
 * The known scheme an unknown one most likely meant: an alias (`rabbitmq` is `amqp`), or the
 * nearest by edit distance when it is at most 2 (`kafak`, `amqps` for `amqsp`), else none.
 */
export function suggestScheme(scheme: string, known: readonly string[]): string | undefined {
  const lower = scheme.toLowerCase();
  const alias = ALIASES[lower];
  if (alias !== undefined && known.includes(alias)) return alias;
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = distance(lower, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** Damerau-Levenshtein (optimal string alignment) distance: a swap of neighbours counts as one edit. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
