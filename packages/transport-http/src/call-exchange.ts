import type { Dispatcher } from 'undici';
import { NOT_RUN_HEADER } from './problem.js';

/** What one HTTP exchange of a typed call gave back: the status, the two headers the client reads, the body. */
export interface Answer {
  status: number;
  /** The Retry-After header, if the answer had one. */
  retryAfter: string | undefined;
  /** Whether the answer carried NOT_RUN_HEADER (a Tandem server refused it before any handler ran). */
  notRun: boolean;
  text: string;
}

/**
 * Timers for one instant can fire a few ms apart (each is armed from the event loop's
 * cached clock): a caller's signal that aborts this close to the call's own deadline
 * stopped the call at that deadline.
 */
const SAME_INSTANT_MS = 10;

/**
 * What may stop one call: its deadline, or the caller's own signal, whichever comes first.
 * It stops the request through the abort function undici hands the handler, so a call
 * needs no AbortController of its own, and follows the caller's signal only when there is
 * one.
 */
export class CallAbort {
  private readonly timer: NodeJS.Timeout;
  private abortRequest: ((reason: Error) => void) | undefined;
  /** Why the call was stopped, once it was. */
  reason: Error | undefined;
  /** The call's own deadline passed: the downstream had all its time and did not answer. */
  timedOut = false;
  /** The caller's signal stopped the call before its deadline: the caller's business, not a fault. */
  callerAborted = false;

  constructor(
    private readonly caller: AbortSignal | undefined,
    private readonly deadline: number,
  ) {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.stop(new DOMException('the call reached its deadline', 'TimeoutError'));
    }, deadline - Date.now());
    if (caller) {
      if (caller.aborted) {
        this.callerAborted = true;
        this.stop(caller.reason as Error);
      }
      // Itself as the listener (handleEvent), so following the caller costs no closure.
      else caller.addEventListener('abort', this, { once: true });
    }
  }

  /** The caller's signal aborted. */
  handleEvent(): void {
    if (this.deadline - Date.now() <= SAME_INSTANT_MS) this.timedOut = true;
    else this.callerAborted = true;
    this.stop(this.caller!.reason as Error);
  }

  /** undici connected the request: from now on it stops through `abort`. */
  attach(abort: (reason: Error) => void): void {
    if (this.reason) abort(this.reason);
    else this.abortRequest = abort;
  }

  /** The answer is in (or the call failed): disarm the deadline and stop following the caller. */
  done(): void {
    clearTimeout(this.timer);
    this.abortRequest = undefined;
    this.caller?.removeEventListener('abort', this);
  }

  private stop(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    this.abortRequest?.(reason);
  }
}

/**
 * Sends one request and reads its whole answer. It uses undici's dispatch API rather than
 * `request()`, which for every call makes an async resource, a Readable stream for the
 * body, an object of every header and abort-signal listeners: a typed call reads a small
 * JSON body whole and two headers, and that machinery cost more CPU per call than the rest
 * of the client together.
 */
export function exchange(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  abort: CallAbort,
): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    dispatcher.dispatch(options, new ExchangeHandler(abort, resolve, reject));
  });
}

class ExchangeHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private retryAfter: string | undefined;
  private notRun = false;
  private readonly chunks: Buffer[] = [];

  constructor(
    private readonly abort: CallAbort,
    private readonly resolve: (answer: Answer) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    this.abort.attach(abort);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      // Only two names matter; most headers are passed over by their length alone.
      if (name.length === 11 && name.toString('latin1').toLowerCase() === 'retry-after')
        this.retryAfter = rawHeaders[i + 1]!.toString('latin1');
      else if (name.length === NOT_RUN_HEADER.length && name.toString('latin1').toLowerCase() === NOT_RUN_HEADER)
        this.notRun = true;
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    const { chunks } = this;
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    this.resolve({ status: this.status, retryAfter: this.retryAfter, notRun: this.notRun, text });
  }

  onError(error: Error): void {
    this.reject(error);
  }
}
