import { eventually } from '@tandem/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';

// The whole app on the in-process broker and a free port: no services needed.
const { app, server } = await buildApp({
  TANDEM_BROKER_URL: 'memory://',
  TANDEM_STORE_URL: 'memory://',
  TANDEM_HTTP_PORT: '0',
  TANDEM_HTTP_HOST: '127.0.0.1',
  TANDEM_LOG_LEVEL: 'silent',
});

describe('tasks', () => {
  beforeAll(() => app.start());
  afterAll(() => app.stop());

  it('adds a task at once, and the event announces it', async () => {
    const added = await fetch(`${server.url}/commands/tasks.add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'write docs' }),
    });
    expect(added.status).toBe(200);
    const { taskId } = (await added.json()) as { taskId: string };

    await eventually('the task is announced', async () => {
      const res = await fetch(`${server.url}/queries/tasks.get?taskId=${taskId}`);
      const task = (await res.json()) as { announced?: boolean };
      return task.announced === true;
    });
  });

  it('refuses an empty title with a 400 naming the field', async () => {
    const res = await fetch(`${server.url}/commands/tasks.add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: '' }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('title');
  });
});
