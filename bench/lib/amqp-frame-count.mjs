// Preloaded into a consumer (NODE_OPTIONS=--import) by rmq-frames.mjs: counts, on its
// sockets to the broker, the writes, the basic.ack frames (and how many carry `multiple`)
// and the 'readable' events (socket reads amqplib handles), and prints them as
// "frames <json>" on stdout at SIGUSR1. Patches net.Socket, so never load it in a timed run.
import net from 'node:net';

const port = Number(process.env.BENCH_AMQP_PORT ?? 5672);
const counts = { writes: 0, bytes: 0, acks: 0, multipleAcks: 0, reads: 0 };
const BASIC_ACK = [60, 80];

const write = net.Socket.prototype.write;
net.Socket.prototype.write = function (chunk, ...rest) {
  if (this.remotePort === port && Buffer.isBuffer(chunk)) {
    counts.writes++;
    counts.bytes += chunk.length;
    // amqplib writes whole frames: type (1), channel (2), size (4), payload, end octet.
    for (let at = 0; at + 11 <= chunk.length; at += 8 + chunk.readUInt32BE(at + 3)) {
      if (chunk[at] !== 1) continue;
      if (chunk.readUInt16BE(at + 7) !== BASIC_ACK[0] || chunk.readUInt16BE(at + 9) !== BASIC_ACK[1]) continue;
      counts.acks++;
      // basic.ack: delivery-tag (8 octets), then the bits, `multiple` first.
      if (chunk[at + 19] & 1) counts.multipleAcks++;
    }
  }
  return write.call(this, chunk, ...rest);
};

const emit = net.Socket.prototype.emit;
net.Socket.prototype.emit = function (event, ...rest) {
  if (event === 'readable' && this.remotePort === port) counts.reads++;
  return emit.call(this, event, ...rest);
};

process.on('SIGUSR1', () => console.log(`frames ${JSON.stringify(counts)}`));
