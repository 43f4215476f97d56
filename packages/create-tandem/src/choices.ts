/** What each `--broker` and `--store` choice adds to a generated project. */

export interface Choice {
  /** The @tandem/* adapter package the URL's scheme loads, if any. */
  readonly adapter?: string;
  /** The URL for `npm start` on this machine, with the compose file's containers up. */
  readonly localUrl: string;
  /** The URL inside the compose network. */
  readonly composeUrl: string;
  /** The compose fragment (templates/compose/<name>.yaml.part) that runs it, if any. */
  readonly composeService?: string;
}

/** `{{db}}` is replaced with the project's database name. */
export const brokers = {
  memory: { localUrl: 'memory://', composeUrl: 'memory://' },
  amqp: {
    adapter: '@tandem/transport-rabbitmq',
    localUrl: 'amqp://guest:guest@127.0.0.1:5672',
    composeUrl: 'amqp://guest:guest@rabbitmq:5672',
    composeService: 'rabbitmq',
  },
  kafka: {
    adapter: '@tandem/transport-kafka',
    localUrl: 'kafka://127.0.0.1:9092',
    composeUrl: 'kafka://kafka:19092',
    composeService: 'kafka',
  },
} as const satisfies Record<string, Choice>;

export const stores = {
  memory: { localUrl: 'memory://', composeUrl: 'memory://' },
  postgres: {
    adapter: '@tandem/store-postgres',
    localUrl: 'postgres://postgres:postgres@127.0.0.1:5432/{{db}}',
    composeUrl: 'postgres://postgres:postgres@postgres:5432/{{db}}',
    composeService: 'postgres',
  },
  pglite: {
    adapter: '@tandem/store-postgres',
    localUrl: 'pglite://./.data/{{db}}',
    composeUrl: 'pglite://./.data/{{db}}',
  },
  redis: {
    adapter: '@tandem/store-redis',
    localUrl: 'redis://127.0.0.1:6379',
    composeUrl: 'redis://redis:6379',
    composeService: 'redis',
  },
} as const satisfies Record<string, Choice>;

export type BrokerName = keyof typeof brokers;
export type StoreName = keyof typeof stores;
