/** A CLI's output captured for a test: what `main` wrote to stdout and stderr, and the io to pass it. */
export function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env: {} },
  };
}
