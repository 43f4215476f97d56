export interface StartMockKafkaOptions {
  /** Topics to pre-create, "name" (1 partition) or "name:partitions", e.g. "orders.placed:3". */
  topics?: string[];
  /** Number of mock brokers (default 1). */
  brokers?: number;
  /** How long to wait for the broker to report its address (default 10000). */
  timeoutMs?: number;
}

export interface MockKafka {
  /** Comma-separated bootstrap list, e.g. "127.0.0.1:40123" (one entry per broker). */
  readonly bootstrap: string;
  /** Process id of the bin/mock-kafka child. */
  readonly pid: number;
  /** Resolves when the child process exits, for whatever reason. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Creates a topic ("name" or "name:partitions") on the running cluster; rejects if it exists. */
  createTopic(spec: string): Promise<void>;
  /**
   * Makes the next requests of one type fail, one error code each, in order (fault tests).
   * `apiKey` is the Kafka protocol request type (0 Produce, 1 Fetch, 8 OffsetCommit, 11 JoinGroup, ...).
   */
  failNextRequests(apiKey: number, errorCodes: number[]): Promise<void>;
  /** Drops every connection to a broker (id 1..N, or -1 for all) and refuses new ones until brokerUp: a broker outage. */
  brokerDown(id?: number): Promise<void>;
  /** Accepts connections again after brokerDown. */
  brokerUp(id?: number): Promise<void>;
  /** Stops the broker (SIGTERM, SIGKILL after 5 s); safe to call more than once. */
  stop(): Promise<void>;
}

/** Builds bin/mock-kafka if needed (needs librdkafka-dev), starts it and waits until it is ready. */
export function startMockKafka(options?: StartMockKafkaOptions): Promise<MockKafka>;
