import { z } from 'zod';
import { defineQuery } from '@tandem/core';
import { Id } from './text.js';

export const ListNotifications = defineQuery('notifications.list', {
  input: z.object({ orderId: Id }),
  output: z.object({
    notifications: z.array(z.object({ kind: z.string(), email: z.string(), text: z.string(), sentAt: z.string() })),
  }),
});
