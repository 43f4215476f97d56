/**
 * Test support: every suite starts its own librdkafka mock cluster (dev-broker/), so
 * suites never share topics, groups or broker state. Without librdkafka-dev the suites
 * skip with a clear message (and fail under TANDEM_REQUIRE_SERVICES=1).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@tandem/core';
import { serviceAvailable } from '@tandem/core/testing';
import {
  Kafka,
  logLevel,
  type Admin,
  type Consumer,
  type ConsumerConfig,
  type KafkaConfig,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';
import { startMockKafka, type MockKafka } from '../dev-broker/launch.mjs';
import { KafkaTransport, type KafkaTransportOptions } from '../src/index.js';

export const SERVICE = 'kafka mock broker (librdkafka-dev)';

/** Starts a mock cluster, or returns undefined (after serviceAvailable's skip message) when it cannot be built. */
export async function startBroker(topics: string[] = [], brokers = 1): Promise<MockKafka | undefined> {
  let broker: MockKafka | undefined;
  const ok = await serviceAvailable(SERVICE, async () => {
    broker = await startMockKafka({ topics, brokers });
  });
  return ok ? broker : undefined;
}

/**
 * Settings for the mock cluster: it has no CreateTopics and no usable controller (see
 * idempotent), and short timeouts keep crash tests quick. Silent, so test output stays readable.
 */
export const mockSettings: Partial<KafkaTransportOptions> = {
  logger: silentLogger,
  createTopics: false,
  idempotent: false,
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 500,
};

/** A kafkajs client that remembers what it created, so a test can make a transport vanish like a killed process. */
export class RecordingKafka extends Kafka {
  readonly created: Array<Consumer | Producer | Admin> = [];

  constructor(config: KafkaConfig) {
    super({ logLevel: logLevel.NOTHING, ...config });
  }

  override consumer(config: ConsumerConfig): Consumer {
    const c = super.consumer(config);
    this.created.push(c);
    return c;
  }

  override producer(config?: ProducerConfig): Producer {
    const p = super.producer(config);
    this.created.push(p);
    return p;
  }

  override admin(): Admin {
    const a = super.admin();
    this.created.push(a);
    return a;
  }

  /** Drops every connection without committing or settling anything. */
  async vanish(): Promise<void> {
    await Promise.allSettled(this.created.map((c) => c.disconnect()));
  }
}

export function mockTransport(
  broker: MockKafka,
  options: Partial<KafkaTransportOptions> = {},
): { transport: KafkaTransport; client: RecordingKafka } {
  const client = new RecordingKafka({ brokers: broker.bootstrap.split(','), clientId: 'tandem-test' });
  return { transport: new KafkaTransport({ ...mockSettings, ...options, client }), client };
}

/**
 * Bundles a fixture (TypeScript, workspace sources) into one CommonJS file a plain `node`
 * child process can run: Node 20 cannot run TypeScript itself.
 */
export async function bundleFixture(name: string): Promise<string> {
  const { build } = await import('rolldown');
  const dir = mkdtempSync(join(tmpdir(), 'tandem-kafka-fixture-'));
  const file = join(dir, `${name}.cjs`);
  await build({
    input: fileURLToPath(new URL(`./fixtures/${name}.ts`, import.meta.url)),
    platform: 'node',
    resolve: { conditionNames: ['@tandem/source', 'import', 'require', 'node', 'default'] },
    output: { file, format: 'cjs' },
    logLevel: 'warn',
  });
  return file;
}
