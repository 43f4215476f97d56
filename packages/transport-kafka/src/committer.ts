/**
 * Sends offset commits one request at a time: the ordinary ones (what the ledger allows, at
 * most every `intervalMs`), the ones the crash guard asks for, and the last one of a member
 * that stops, in the order asked.
 * Offsets the broker accepted are recorded in their ledger, so none is sent twice; a refused
 * commit is reported to the owner, who decides what follows.
 */
import type { Logger } from '@tandem/core';
import type { CommitEntry, OffsetLedger } from './offset-ledger.js';

export interface CommitterDeps {
  send(entries: CommitEntry[]): Promise<void>;
  /** The ledger of the current generation. */
  ledger(): OffsetLedger;
  /** The ordinary commits the current generation allows now. */
  pending(): CommitEntry[];
  intervalMs: number;
  /** The broker refused a commit of the still-current ledger. */
  refused(error: unknown): void;
  /** The broker took these commits of `ledger`'s generation. */
  accepted(ledger: OffsetLedger, entries: CommitEntry[]): void;
  log: Logger;
}

export class Committer {
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private flushQueued: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: CommitterDeps) {}

  /** Commits within `intervalMs`, together with whatever else finishes meanwhile. */
  schedule(): void {
    if (this.stopped) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.deps.intervalMs);
  }

  /** Commits what the ledger allows now (after the request in flight, if any). */
  flush(): Promise<void> {
    this.flushQueued ??= this.enqueue(async () => {
      this.flushQueued = undefined;
      const ledger = this.deps.ledger();
      const entries = this.deps.pending();
      if (entries.length > 0) await this.send(ledger, entries).catch(() => undefined);
    });
    return this.flushQueued;
  }

  /** Commits these entries of `ledger`'s generation (with their metadata) in turn; rejects when refused. */
  commit(entries: CommitEntry[], ledger: OffsetLedger): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('kafka: the consumer is closed; nothing more is committed'));
    return this.enqueue(() => this.send(ledger, entries));
  }

  /** The last commit of a member that stops, sent as it is after the request in flight; nothing follows. */
  commitFinal(entries: CommitEntry[]): Promise<void> {
    return this.enqueue(async () => {
      await this.deps.send(entries).catch((error: unknown) => {
        this.deps.log.debug({ err: error }, 'kafka: last commit before leaving the group refused');
      });
    });
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.chain.then(job);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async send(ledger: OffsetLedger, entries: CommitEntry[]): Promise<void> {
    if (ledger !== this.deps.ledger()) throw new Error('kafka: the group generation ended before this commit');
    try {
      await this.deps.send(entries);
      ledger.committed(entries);
      this.deps.accepted(ledger, entries);
    } catch (error) {
      this.deps.log.warn({ err: error }, 'kafka: offset commit refused');
      if (ledger === this.deps.ledger()) this.deps.refused(error);
      throw error;
    }
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Nothing is scheduled or committed on request any more (the consumer closes); a last flush still works. */
  stop(): void {
    this.stopped = true;
    this.cancel();
  }
}
