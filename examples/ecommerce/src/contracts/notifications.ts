import { z } from 'zod';
import { defineQuery } from '@tandem/core';

export const ListNotifications = defineQuery('notifications.list', {
  input: z.object({ orderId: z.string() }),
  output: z.object({
    notifications: z.array(z.object({ kind: z.string(), email: z.string(), text: z.string(), sentAt: z.string() })),
  }),
});
