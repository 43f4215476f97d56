// The contracts: names and schemas shared by callers and handlers.
import { defineCommand, defineEvent, defineQuery } from '@tandem/core';
import { z } from 'zod';

/** POST /commands/tasks.add */
export const AddTask = defineCommand('tasks.add', {
  input: z.object({ title: z.string().min(1).max(200) }),
  output: z.object({ taskId: z.string() }),
  description: 'Adds a task and answers at once; the task is announced by an event.',
});

/** Published by tasks.add, handled asynchronously. */
export const TaskAdded = defineEvent('tasks.added', {
  data: z.object({ taskId: z.string(), title: z.string() }),
});

/** GET /queries/tasks.get?taskId=... */
export const GetTask = defineQuery('tasks.get', {
  input: z.object({ taskId: z.string() }),
  output: z.object({ taskId: z.string(), title: z.string(), announced: z.boolean() }),
});
