/**
 * The keyed runner's key of a shared delivery: its partition and its message key, so records of
 * one key in one partition run in order. The same few keys come with most records, so each
 * partition remembers the strings it made (up to `MAX_KEYS_PER_PARTITION`): the runner then
 * looks up a string it has hashed before instead of a new concatenation per record.
 */
const MAX_KEYS_PER_PARTITION = 1024;

export class OrderKeys {
  private readonly byPartition = new Map<string, Map<string, string>>();

  /** `partitionId` as crash-guard.ts's `partitionId` makes it. */
  of(partitionId: string, key: string | undefined): string {
    let keys = this.byPartition.get(partitionId);
    if (keys === undefined) {
      keys = new Map();
      this.byPartition.set(partitionId, keys);
    }
    const messageKey = key ?? '';
    let orderKey = keys.get(messageKey);
    if (orderKey === undefined) {
      orderKey = `${partitionId}\u0000${messageKey}`;
      if (keys.size < MAX_KEYS_PER_PARTITION) keys.set(messageKey, orderKey);
    }
    return orderKey;
  }

  /** Forgets every partition (a new group generation may bring others). */
  clear(): void {
    this.byPartition.clear();
  }
}
