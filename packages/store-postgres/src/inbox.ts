import type { InboxStore } from '@tandem/core';
import type { SqlDriver } from './driver.js';
import type { Tables } from './schema.js';

/**
 * The inbox table. The insert runs in the handler's transaction: a second delivery of a
 * message still being handled waits on the first one's row lock, then sees a duplicate if
 * the first committed, or runs if it rolled back.
 */
export class SqlInbox<Tx> implements InboxStore<Tx> {
  constructor(
    private readonly driver: SqlDriver<Tx>,
    private readonly tables: Tables,
  ) {}

  async record(tx: Tx, group: string, messageId: string): Promise<boolean> {
    const { rowCount } = await this.driver
      .within(tx)
      .query(`INSERT INTO ${this.tables.inbox} (consumer_group, message_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
        group,
        messageId,
      ]);
    return rowCount === 1;
  }
}
