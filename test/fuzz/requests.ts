import fc from 'fast-check';

/** One request as the fuzzer sends it: everything a client controls. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

/** Pieces of paths a parser can choke on: bad %-encoding, NUL, dot segments, length. */
const hostileSegment = fc.oneof(
  fc.constantFrom(
    '%',
    '%E0%A4%A',
    '%zz',
    '%00',
    '%25',
    '..',
    '.',
    '%2e%2e',
    '%2F',
    '%C0%AF',
    '%FF%FE',
    '__proto__',
    'constructor',
    '',
  ),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => encodeURIComponent(s).replace(/%[0-9A-F]{2}$/, '%')),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => 'x'.repeat(n)),
  fc.stringMatching(/^[A-Za-z0-9._~-]{1,30}$/),
);

/** Routes the service has, most of the time; anything else the rest of the time. */
const routed = fc.oneof(
  hostileSegment.map((id) => ({ method: 'PUT', path: `/things/${id}` })),
  hostileSegment.map((id) => ({ method: 'GET', path: `/things/${id}` })),
  fc.constantFrom(
    { method: 'POST', path: '/commands/things.put' },
    { method: 'POST', path: '/commands/things.bulk' },
    { method: 'POST', path: '/commands/things.echo' },
    { method: 'GET', path: '/queries/things.get' },
    { method: 'GET', path: '/queries/things.private' },
    { method: 'GET', path: '/health/ready' },
  ),
);

const wildPath = fc.oneof(
  fc.tuple(hostileSegment, hostileSegment).map(([a, b]) => `/things/${a}/${b}`),
  fc.constantFrom('/commands/', '/queries/%', '//things//x', '/', '/health/live', '*'),
  hostileSegment.map((s) => `/commands/${s}`),
  hostileSegment.map((s) => `/queries/${s}`),
);
const wild = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
  path: wildPath,
});

const queryPair = fc
  .tuple(
    fc.oneof(fc.constantFrom('id', 'verbose', '__proto__', 'constructor', 'id[]', 'a.b'), hostileSegment),
    hostileSegment,
  )
  .map(([k, v]) => `${k}=${v}`);
const query = fc.oneof(
  fc.constant(''),
  fc.array(queryPair, { maxLength: 8 }).map((pairs) => `?${pairs.join('&')}`),
  fc.integer({ min: 100, max: 3_000 }).map((n) => `?${Array.from({ length: n }, (_, i) => `k${i}=v`).join('&')}`),
  fc.constantFrom('?', '?&&&', '?=', '?id', '?id=%', '?id=a&id=b'),
);

/** Deadlines a client may send: garbage, out of range, or long enough that none should pass. */
const deadline = fc.oneof(
  fc.constantFrom(
    '-1',
    'abc',
    '',
    '1e309',
    'NaN',
    'Infinity',
    '0x10',
    ' 5000',
    '5000.5',
    '2147483648',
    '4294967296',
    '99999999999999999999',
    '9007199254740993',
  ),
  fc.integer({ min: 30_000, max: 2 ** 40 }).map(String),
);

/** Keys from a small pool, so replays and same-key-other-body cases happen within a run. */
const idempotencyKey = fc.oneof(
  fc.constantFrom('k-1', 'k-2', 'k-3', ''),
  fc.string({ maxLength: 300 }).filter((s) => /^[\x21-\x7e]*$/.test(s)),
  fc.integer({ min: 256, max: 9_000 }).map((n) => 'k'.repeat(n)),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'text/json',
  'application/problem+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  '',
);

const headerValue = fc.string({ maxLength: 200 }).filter((s) => /^[\x20-\x7e]*$/.test(s) && s.trim() === s);
const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/);

const headers = fc
  .record(
    {
      'content-type': contentType,
      'idempotency-key': idempotencyKey,
      'tandem-timeout-ms': deadline,
      traceparent: fc.oneof(headerValue, fc.constant('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')),
      authorization: fc.oneof(fc.constantFrom('Bearer letmein', 'Bearer nope', 'Basic Zm9vOmJhcg=='), headerValue),
      accept: fc.constantFrom('application/json', '*/*', 'text/html', 'application/problem+json'),
    },
    { requiredKeys: [] },
  )
  .chain((known) =>
    fc
      .dictionary(headerName, headerValue, { maxKeys: 5 })
      .map((extra) => ({ ...extra, ...known }) as Record<string, string>),
  );

/** Deeply nested JSON, built as text so that generating it costs nothing. */
const deepJson = fc
  .tuple(fc.integer({ min: 1_000, max: 200_000 }), fc.constantFrom('[', '{"a":'))
  .map(([depth, open]) => open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth));

/** Many invalid items: each one a validation issue if nothing caps them. */
const manyInvalidItems = fc
  .integer({ min: 1_000, max: 200_000 })
  .map((n) => `{"items":[${Array.from({ length: n }, () => '{"n":"x"}').join(',')}]}`);

const thingBody = fc.record(
  {
    id: fc.string({ maxLength: 80 }),
    name: fc.oneof(fc.string({ maxLength: 120 }), fc.integer()),
    tags: fc.array(fc.string({ maxLength: 30 }), { maxLength: 80 }),
    nested: fc.anything({ maxDepth: 4 }),
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v)) },
  { weight: 4, arbitrary: thingBody.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: deepJson },
  { weight: 2, arbitrary: manyInvalidItems },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2_000 }) },
  {
    weight: 1,
    arbitrary: fc
      .jsonValue()
      .map((v) => JSON.stringify(v))
      .map((s) => s.slice(0, Math.max(0, s.length - 1))),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((mb) => `"${'x'.repeat(mb * 1024 * 1024)}"`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      'null',
      '',
      ' ',
      '\uFEFF{}',
    ),
  },
);

export function bodyBytes(request: FuzzRequest): number {
  if (request.body === undefined) return 0;
  return typeof request.body === 'string' ? Buffer.byteLength(request.body) : request.body.length;
}

/** One line per request, cut short: bodies and keys run to megabytes. */
export function describeRequest(request: FuzzRequest): string {
  const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…(${s.length})` : s);
  const headers = Object.entries(request.headers).map(([k, v]) => `${k}: ${JSON.stringify(cut(v, 60))}`);
  const body =
    request.body === undefined
      ? 'no body'
      : `${bodyBytes(request)} B body` +
        (typeof request.body === 'string' ? ` ${JSON.stringify(cut(request.body, 60))}` : '');
  return `${request.method} ${cut(request.path, 120)} {${headers.join(', ')}} ${body}`;
}

export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    target: fc.oneof({ weight: 3, arbitrary: routed }, { weight: 1, arbitrary: wild }),
    query,
    headers,
    body: fc.option(body, { nil: undefined, freq: 4 }),
  })
  .map(({ target, query, headers, body }) => {
    const noBody = target.method === 'GET' || target.method === 'HEAD';
    const request: FuzzRequest = {
      method: target.method,
      path: target.path + query,
      headers,
      body: noBody ? undefined : body,
    };
    // fast-check prints a counterexample through this: the short line, not megabytes.
    return Object.assign(request, { [fc.toStringMethod]: () => describeRequest(request) });
  });

/** A run: a few requests sent one after another, then a few at once. */
export const fuzzRun = fc.record({
  sequential: fc.array(fuzzRequest, { minLength: 1, maxLength: 4 }),
  concurrent: fc.array(fuzzRequest, { maxLength: 4 }),
});
