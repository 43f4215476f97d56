import { runMain, stopOnSignals } from '@tandem/core';
import { buildApp } from './app.js';

// .env holds this machine's settings (copied from .env.example); variables already set win.
try {
  process.loadEnvFile();
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

// A setting that fails at start prints one line naming it and the fix, and exits 1.
await runMain(async () => {
  const { app, server } = await buildApp();
  await app.start();
  // The app's own start-up line says where it listens; this says what to try there.
  console.log(`try it:
  add a task:  curl -s -X POST ${server.url}/commands/tasks.add -H 'content-type: application/json' -d '{"title":"write docs"}'
  read it:     curl -s '${server.url}/queries/tasks.get?taskId=<taskId>'`);
  stopOnSignals(app);
});
