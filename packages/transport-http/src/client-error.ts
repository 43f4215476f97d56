import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { MalformedRequestError, PayloadTooLargeError, TimeoutError } from '@tandem/core';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem.js';

type ParserError = Error & { code?: string; bytesParsed?: number; rawPacket?: Buffer };

/**
 * What node:http's parser refuses before a request exists (a request line with raw non-ASCII
 * bytes, a malformed header, headers past the limit) would be answered with node's own bare
 * status line and an empty body. Each gets a problem instead, with the same status node
 * would send, saying what was wrong and how to send it.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: ParserError, socket: Socket) => {
    // As node's own handler: a response already on its way cannot be replaced.
    const pending = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, problem } = problemOf(error);
    const json = JSON.stringify({ ...problem, status, title: TITLES[status] ?? problem.title });
    socket.end(
      `HTTP/1.1 ${status} ${TITLES[status] ?? 'Bad Request'}\r\n` +
        `content-type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `content-length: ${Buffer.byteLength(json)}\r\n` +
        `connection: close\r\n\r\n` +
        json,
    );
  });
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
};

function problemOf(error: ParserError): { status: number; problem: ReturnType<typeof toProblem> } {
  const code = error.code ?? 'unknown';
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        problem: toProblem(
          new PayloadTooLargeError(
            `the request's headers are larger than the server accepts (${code}); send fewer or shorter headers`,
          ),
        ),
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return {
        status: 413,
        problem: toProblem(
          new PayloadTooLargeError(
            `the request's chunk extensions are too large (${code}); send the body without them`,
          ),
        ),
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        problem: toProblem(
          new TimeoutError(`the request did not arrive in time (${code}); send its headers and body without pausing`),
        ),
      };
    default:
      return { status: 400, problem: toProblem(new MalformedRequestError(malformed(error, code))) };
  }
}

function malformed(error: ParserError, code: string): string {
  const raw = error.rawPacket?.subarray(0, 2048).toString('latin1') ?? '';
  const requestLine = raw.split('\r\n', 1)[0] ?? '';
  // eslint-disable-next-line no-control-regex
  if (code === 'HPE_INVALID_URL' || /[^\x00-\x7f]/.test(requestLine)) {
    return `the request's URL is not valid HTTP (${code}): a URL may hold only ASCII characters, so percent-encode the rest (encodeURIComponent), and replace a placeholder such as '019a…' with a real value`;
  }
  return `the request is not valid HTTP (${code}: ${error.message}); check its request line and headers`;
}
