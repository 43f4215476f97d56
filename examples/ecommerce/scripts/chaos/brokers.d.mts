export declare const SHOP_TOPICS: readonly string[];

export interface RunBroker {
  kind: 'amqp' | 'kafka';
  /** The mock cluster's process id (Kafka only). */
  pid?: number;
  /** The TANDEM_BROKER_URL the services get. */
  serviceUrl: string;
  describe: string;
  cut(): Promise<string>;
  down(): Promise<unknown> | void;
  up(): Promise<unknown> | void;
  /** Dead letters per consumer group, read from the broker. */
  deadLetters(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export declare function startRabbitBroker(options: {
  url: string;
  groups: string[];
  label?: string;
  proxy?: boolean;
}): Promise<RunBroker>;
export declare function startKafkaBroker(options: { groups: string[] }): Promise<RunBroker>;
