import { IncomingMessage } from 'node:http';
import type { BodyRead, BodySource } from './body.js';

/**
 * The request class of Tandem's own server (node:http's `IncomingMessage` option). A
 * request whose body Tandem reads hands each chunk straight to the body reader as node:http
 * pushes it, and the end of the body as the parser reaches it, instead of going through the
 * stream's flowing mode: no `resume` tick, no 'data' and 'end' events and no wait for the
 * tick that emits 'end'. This is every command's path, and that stream machinery was a
 * larger share of it than Tandem's own work. Requests that Tandem does not read (health,
 * 404, a refused method) stay ordinary streams.
 */
export class ServerRequest extends IncomingMessage implements BodySource {
  private body: BodyRead | undefined = undefined;

  /** Takes the body over if nothing has read or buffered any of it yet; false leaves it to the stream. */
  collectBody(read: BodyRead): boolean {
    if (this.complete || this.readableLength > 0 || this.readableFlowing !== null) return false;
    this.body = read;
    // What reading through the stream would set: the server then does not dump the body after answering.
    (this as { _consuming?: boolean })._consuming = true;
    return true;
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    const read = this.body;
    if (read === undefined) return super.push(chunk, encoding);
    if (chunk !== null) {
      read.add(chunk as Buffer);
      return true;
    }
    this.body = undefined;
    const more = super.push(null);
    // The data went to the reader, so the stream is empty: reading it ends it, and 'end'
    // and 'close' still come for anyone listening.
    this.read(0);
    read.end(this);
    return more;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const read = this.body;
    if (read !== undefined) {
      this.body = undefined;
      read.fail(error ?? new Error('the request closed before its body ended'));
    }
    super._destroy(error, callback);
  }
}
