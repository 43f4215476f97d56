/** Reading kafkajs errors. */

/** Errors that mean this member's generation ended (kafkajs's own isRebalancing, plus the wrapped form). */
export function isRebalancing(error: unknown): boolean {
  const e = error as { type?: string; message?: string; cause?: { type?: string } };
  const type = e.type ?? e.cause?.type;
  if (type !== undefined)
    return ['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR_FOR_GROUP'].includes(
      type,
    );
  return /rebalancing|generation id|member id/i.test(e.message ?? '');
}
