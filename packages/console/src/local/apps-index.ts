import { escapeHtml } from '../page/assets.js';
import type { AppTarget } from './app-target.js';

/** What the index says of one app: its services' names, or why it could not be asked. */
export interface AppStatus {
  app: AppTarget;
  name: string | undefined;
  problem: string | undefined;
}

/** Asks each app's `GET model` for its services, within `timeoutMs`; an app that fails says how. */
export async function appStatuses(apps: readonly AppTarget[], timeoutMs: number): Promise<AppStatus[]> {
  return Promise.all(
    apps.map(async (app): Promise<AppStatus> => {
      try {
        const res = await fetch(`${app.api.href}/model`, {
          headers: { accept: 'application/json', ...(app.authorization ? { authorization: app.authorization } : {}) },
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = (await res.json().catch(() => undefined)) as { services?: unknown; detail?: unknown } | undefined;
        if (!res.ok) return { app, name: undefined, problem: `answered ${res.status}${detailOf(body)}` };
        const services = Array.isArray(body?.services) ? body.services.map(String) : [];
        return { app, name: services.join(', ') || '(no services)', problem: undefined };
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        const why =
          (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause ?? 'unreachable');
        return { app, name: undefined, problem: why };
      }
    }),
  );
}

function detailOf(body: { detail?: unknown } | undefined): string {
  return typeof body?.detail === 'string' ? `: ${body.detail.slice(0, 200)}` : '';
}

/** The index page: static HTML styled by the console page's own CSS, no script (the page's CSP holds). */
export function appsIndexHtml(statuses: readonly AppStatus[]): string {
  const rows = statuses
    .map(({ app, name, problem }) => {
      const link = `<a href="apps/${app.index}/">${escapeHtml(name ?? `app ${app.index}`)}</a>`;
      const state = problem === undefined ? 'reachable' : `not reachable: ${escapeHtml(problem)}`;
      const row = problem === undefined ? '<tr>' : '<tr class="failing">';
      return `      ${row}<td>${app.index}</td><td>${link}</td><td><code>${escapeHtml(app.shown)}</code></td><td>${state}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Tandem console: apps</title>
    <link rel="stylesheet" href="console.css" />
  </head>
  <body>
    <header><h1>Tandem console</h1></header>
    <main>
    <h2>Apps</h2>
    <table class="apps">
      <thead><tr><th>#</th><th>services</th><th>URL</th><th>state</th></tr></thead>
      <tbody>
${rows}
      </tbody>
    </table>
    <p class="muted">Reload to ask the apps again.</p>
    </main>
  </body>
</html>
`;
}
