// A TCP proxy between the services and the broker, owned by the fault run: cutting its
// connections or refusing new ones simulates a broker restart without touching the
// broker, which other people are using.
import { createServer, connect } from 'node:net';

/**
 * @param {{ host: string, port: number }} target
 * @returns {Promise<{ port: number, connections: () => number, cut: () => number, down: () => Promise<number>, up: () => Promise<void>, close: () => Promise<void> }>}
 */
export async function startProxy(target) {
  const pairs = new Set();
  const server = createServer({ noDelay: true }, (client) => {
    const upstream = connect({ ...target, noDelay: true });
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const listen = (port) =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve(server.address().port);
      });
    });
  const port = await listen(0);

  /** Drops every open connection: the client side sees a reset, the broker a closed socket. */
  const cut = () => {
    const count = pairs.size;
    for (const { client, upstream } of [...pairs]) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    pairs.clear();
    return count;
  };
  return {
    port,
    connections: () => pairs.size,
    cut,
    /** Stops listening (new connections are refused) and cuts the open ones, as a broker restart does. */
    async down() {
      const closed = new Promise((resolve) => server.close(resolve));
      const count = cut();
      await closed;
      return count;
    },
    /** Listens again on the same port; retries while the port is briefly still in use. */
    async up() {
      for (let attempt = 0; ; attempt++) {
        try {
          await listen(port);
          return;
        } catch (error) {
          if (error.code !== 'EADDRINUSE' || attempt >= 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
    async close() {
      const closed = server.listening ? new Promise((resolve) => server.close(resolve)) : Promise.resolve();
      cut();
      await closed;
    },
  };
}
