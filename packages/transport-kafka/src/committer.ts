/**
 * Sends the offsets the ledger allows, at most every `intervalMs`, one commit request at a
 * time. Offsets the broker accepted are recorded in their ledger, so none is sent twice; a
 * refused commit is reported to the owner, who decides whether to try again.
 */
import type { Logger } from '@tandem/core';
import type { CommitEntry, OffsetLedger } from './offset-ledger.js';

export interface CommitterDeps {
  send(entries: CommitEntry[]): Promise<void>;
  /** The ledger of the current generation. */
  ledger(): OffsetLedger;
  intervalMs: number;
  /** The broker refused a commit of the still-current ledger. */
  refused(error: unknown): void;
  log: Logger;
}

export class Committer {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly deps: CommitterDeps) {}

  /** Commits within `intervalMs`, together with whatever else finishes meanwhile. */
  schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.deps.intervalMs);
  }

  /** Commits now (after the request in flight, if any). */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    const ledger = this.deps.ledger();
    const entries = ledger.pendingCommits();
    if (entries.length === 0) return;
    this.inFlight = this.deps.send(entries).then(
      () => ledger.committed(entries),
      (error: unknown) => {
        this.deps.log.debug({ err: error }, 'kafka: offset commit refused');
        if (ledger === this.deps.ledger()) this.deps.refused(error);
      },
    );
    try {
      await this.inFlight;
    } finally {
      this.inFlight = undefined;
    }
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
