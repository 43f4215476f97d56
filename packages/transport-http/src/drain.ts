import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A kept-alive connection is closed while draining only once it has been idle this long.
 * Under load a client reuses a connection within milliseconds, and then gets an answer that
 * closes it cleanly; closing it under the client instead races the request it is sending,
 * which the client sees as a reset.
 */
export const IDLE_GRACE_MS = 200;
/** After the deadline, what the server answered itself gets this long to be written before its connection is cut. */
export const FLUSH_MS = 1_000;
const SWEEP_MS = 50;

interface Quiet {
  bytesRead: number;
  since: number;
}

/** The response a connection is writing or owes (node:http keeps it on the socket), if any. */
function responseOf(socket: Socket): ServerResponse | undefined {
  const res = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  return res && !res.writableEnded ? res : undefined;
}

/**
 * The connections of the server's own listener, and how they end when it stops: each
 * answer while draining closes its connection (the server sets `connection: close`), idle
 * ones are closed once they stayed idle (IDLE_GRACE_MS), and at the deadline requests
 * still unanswered are answered by `answer` (a 503) and, FLUSH_MS later, every connection
 * left is cut.
 */
export class Connections {
  private readonly sockets = new Map<Socket, Quiet>();
  private sweeper: NodeJS.Timeout | undefined;
  private deadline = Infinity;
  private answered = false;
  private lastSweep = 0;
  private emptied: (() => void) | undefined;

  constructor(
    private readonly server: Server,
    private readonly answer: (res: ServerResponse) => void,
  ) {
    server.on('connection', (socket: Socket) => {
      this.sockets.set(socket, { bytesRead: 0, since: Date.now() });
      socket.once('close', () => {
        this.sockets.delete(socket);
        if (this.sockets.size === 0) this.emptied?.();
      });
    });
  }

  get draining(): boolean {
    return this.sweeper !== undefined;
  }

  /** Starts draining, to end by `deadline` (ms since the epoch); a later call can only bring the deadline nearer. */
  drain(deadline: number): void {
    this.deadline = Math.min(this.deadline, deadline);
    if (this.sweeper) return;
    const now = Date.now();
    // Idle times count from now: what was idle before had no reason to be closed yet.
    for (const quiet of this.sockets.values()) quiet.since = now;
    this.lastSweep = now;
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  /** Resolves once every connection has closed (by the deadline plus FLUSH_MS at the latest). */
  closed(): Promise<void> {
    this.sweep();
    if (this.sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.emptied = resolve));
  }

  /** Stops the sweeps once nothing is left. */
  dispose(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = Date.now();
    // After the event loop was held up, timers run before the reads that were waiting: a
    // request may sit unread on a connection that looks idle. Close nothing idle this time.
    const stalled = now - this.lastSweep > SWEEP_MS * 3;
    this.lastSweep = now;
    if (now >= this.deadline + FLUSH_MS) {
      for (const socket of this.sockets.keys()) socket.destroy();
      return;
    }
    const answerNow = now >= this.deadline && !this.answered;
    if (answerNow) this.answered = true;
    for (const [socket, quiet] of this.sockets) {
      const res = responseOf(socket);
      if (res) {
        quiet.since = now;
        if (answerNow && !res.headersSent) this.answer(res);
        continue;
      }
      if (socket.bytesRead !== quiet.bytesRead) {
        // Part of a request arrived since the last sweep: not idle.
        quiet.bytesRead = socket.bytesRead;
        quiet.since = now;
      } else if (now >= this.deadline || (!stalled && now - quiet.since >= IDLE_GRACE_MS)) socket.destroy();
    }
  }
}
