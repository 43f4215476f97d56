// The soak's two events: what the producer sends, and what the handler publishes through
// the outbox for each one it handles.
import { z } from 'zod';
import { defineEvent } from '@tandem/core';

export const SoakRequested = defineEvent('soak.requested', {
  data: z.object({ n: z.number().int().nonnegative(), pad: z.string() }),
});
export const SoakProcessed = defineEvent('soak.processed', { data: z.object({ n: z.number().int().nonnegative() }) });
