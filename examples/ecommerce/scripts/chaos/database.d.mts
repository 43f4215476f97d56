import type pg from 'pg';

export interface RunDatabase {
  name: string;
  schema: string;
  url: string;
  /** The store URL the services get: the run's database, Tandem's tables in the run's schema. */
  storeUrl: string;
  terminateConnections(): Promise<number>;
  drop(): Promise<void>;
}

export declare function createRunDatabase(adminUrl: string, options?: { label?: string }): Promise<RunDatabase>;
export declare function connectRunDatabase(url: string): Promise<pg.Client>;
