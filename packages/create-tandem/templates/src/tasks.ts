import { Command, NotFoundError, OnEvent, Query, Service, uuidv7, type HandlerContext } from '@tandem/core';
import type { z } from 'zod';
import { AddTask, GetTask, TaskAdded } from './contracts.js';

interface Task {
  title: string;
  announced: boolean;
}

@Service('tasks')
export class Tasks {
  // Kept in memory to keep the example short; a real service writes to its database.
  private readonly tasks = new Map<string, Task>();

  /** Sync: validate, decide, answer. What can wait becomes an event. */
  @Command(AddTask)
  async add(input: z.output<typeof AddTask.input>, ctx: HandlerContext) {
    const taskId = uuidv7();
    this.tasks.set(taskId, { title: input.title, announced: false });
    await ctx.publish(TaskAdded, { taskId, title: input.title }, { key: taskId });
    return { taskId };
  }

  /** Async: runs when the broker delivers the event, retried with backoff if it throws. */
  @OnEvent(TaskAdded, { retry: { attempts: 5 } })
  async onTaskAdded(event: z.output<typeof TaskAdded.data>, ctx: HandlerContext) {
    const task = this.tasks.get(event.taskId);
    if (task) task.announced = true;
    ctx.log.info({ taskId: event.taskId }, 'task announced');
  }

  @Query(GetTask)
  async get({ taskId }: z.output<typeof GetTask.input>) {
    const task = this.tasks.get(taskId);
    if (!task) throw new NotFoundError(`no task ${taskId}`);
    return { taskId, ...task };
  }
}
