import { connect } from 'node:net';

/**
 * Integration suites call this once at the top of the file: true when the service
 * answers; otherwise a clear line saying what is skipped and why. Under
 * TANDEM_REQUIRE_SERVICES=1 (CI) an unreachable service fails the suite instead.
 */
export async function serviceAvailable(name: string, probe: () => Promise<unknown>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    if (process.env.TANDEM_REQUIRE_SERVICES === '1') {
      throw new Error(`${name} is required (TANDEM_REQUIRE_SERVICES=1) but unreachable: ${why}`);
    }
    // A skipped suite must say why in the test output, not only in a log file.
    // eslint-disable-next-line no-console
    console.warn(
      `[tandem] ${name} is unreachable (${why}); skipping its integration tests. Set TANDEM_REQUIRE_SERVICES=1 to fail instead.`,
    );
    return false;
  }
}

/** Resolves when a TCP connection to host:port opens within `timeoutMs`. */
export function probeTcp(host: string, port: number, timeoutMs = 1_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
