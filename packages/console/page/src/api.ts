/**
 * The console API, where the page's <meta name="tandem-api"> says it is (relative to the
 * page), and its CSRF token for the state changes.
 */
const meta = document.querySelector<HTMLMetaElement>('meta[name="tandem-api"]');
const base = new URL(`${meta?.content ?? 'api'}/`, location.href);

/** The API's answer to a failed request, with the problem's detail when it has one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function apiUrl(path: string): string {
  return new URL(path, base).href;
}

async function answer<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  if (!res.ok) {
    let detail = text;
    try {
      const problem = JSON.parse(text) as { detail?: string; title?: string };
      detail = problem.detail ?? problem.title ?? text;
    } catch {
      // not problem+json: the text as it is
    }
    throw new ApiError(res.status, `${what}: ${res.status} ${detail}`.slice(0, 500));
  }
  return JSON.parse(text) as T;
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(apiUrl(path), { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  return answer<T>(res, `GET ${path}`);
}

let csrf: Promise<{ token: string; header: string }> | undefined;

/** A state change: a POST carrying the CSRF token (fetched once, again after a refusal). */
export async function post<T>(path: string): Promise<T> {
  csrf ??= getJson<{ token: string; header: string }>('csrf');
  const { token, header } = await csrf.catch((error: unknown) => {
    csrf = undefined;
    throw error;
  });
  const res = await fetch(apiUrl(path), { method: 'POST', headers: { [header]: token }, credentials: 'same-origin' });
  if (res.status === 403) csrf = undefined;
  return answer<T>(res, `POST ${path}`);
}
