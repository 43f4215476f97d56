/**
 * An OpenAPI 3.1 document for the commands and queries an app serves over HTTP, from the
 * same contracts and route convention the server uses, so the document cannot drift from
 * what is served. Errors are the problem+json responses of problem.ts.
 */
import {
  CallHeader,
  inputVersions,
  jsonSchemaOf,
  type AppModel,
  type SyncContract,
  type SyncOperation,
} from '@tandem/core';
import { PROBLEM_CONTENT_TYPE } from './problem.js';
import { hasBody, routeOf } from './routes.js';

type Json = Record<string, unknown>;

/** Title and version of the OpenAPI document. */
export interface OpenApiOptions {
  title: string;
  version: string;
  description?: string;
  /** e.g. `[{ url: 'https://orders.example.com' }]`. */
  servers?: Array<{ url: string; description?: string }>;
  /** The server's `basePath`, if any. */
  basePath?: string;
}

const problemSchema: Json = {
  type: 'object',
  description: 'RFC 9457 problem details, with the stable error code.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', examples: ['urn:tandem:problem:validation'] },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', examples: ['TANDEM_VALIDATION'] },
    instance: { type: 'string' },
    issues: {
      type: 'array',
      description: 'For validation problems: each invalid field.',
      items: {
        type: 'object',
        properties: { path: { type: 'string' }, message: { type: 'string' }, code: { type: 'string' } },
      },
    },
  },
  additionalProperties: true,
};

const problemResponses: Record<string, string> = {
  '400':
    'Invalid input (TANDEM_VALIDATION), malformed JSON (TANDEM_MALFORMED_REQUEST), or a contract version the service does not take (TANDEM_UNSUPPORTED_VERSION)',
  '401': 'The auth hook refused the caller (TANDEM_UNAUTHORIZED)',
  '403': 'The caller may not do this (TANDEM_FORBIDDEN)',
  '404': 'Not found (TANDEM_NOT_FOUND)',
  '409': 'Conflict, or a request with this Idempotency-Key is still running',
  '413': 'The body exceeds the server limit (TANDEM_PAYLOAD_TOO_LARGE)',
  '415': 'The body is not JSON (TANDEM_UNSUPPORTED_MEDIA_TYPE)',
  '422': 'The Idempotency-Key was used with a different payload, or the request cannot be processed',
  '500': 'Internal error',
  '503': 'Shutting down, unavailable, or a downstream circuit is open (see Retry-After)',
  '504': 'The deadline passed (TANDEM_TIMEOUT)',
};

function toOpenApiPath(path: string): { path: string; params: string[] } {
  const params: string[] = [];
  const converted = path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path: converted, params };
}

/** The server answers 204 when a handler returns undefined, which only these schemas allow. */
function returnsNothing(schema: SyncOperation['contract']['output']): boolean {
  const type = (schema as { _zod?: { def?: { type?: string } } })._zod?.def?.type;
  return type === 'void' || type === 'undefined';
}

/** The header a caller names its contract version in, with the versions the server takes. */
function versionParameter(contract: SyncContract): Json {
  const older = [...contract.olderVersions.keys()];
  const upcast =
    older.length > 0
      ? ` Input of version ${older.join(', ')} is validated with its own schema (x-tandem-older-inputs) and upcast to version ${contract.version}.`
      : '';
  return {
    name: CallHeader.contractVersion,
    in: 'header',
    required: false,
    description: `The contract version the caller was built against; without it, the input is taken as the current version ${contract.version}.${upcast} Any other version is refused with 400 TANDEM_UNSUPPORTED_VERSION.`,
    schema: { type: 'integer', enum: inputVersions(contract), default: contract.version },
  };
}

/** The current version, the older ones the server takes, and their input schemas, as extensions. */
function versionNotes(contract: SyncContract): Json {
  const older = [...contract.olderVersions];
  return {
    'x-tandem-version': contract.version,
    ...(older.length > 0
      ? {
          'x-tandem-accepts-versions': older.map(([version]) => version),
          'x-tandem-older-inputs': Object.fromEntries(
            older.map(([version, { input }]) => [String(version), jsonSchemaOf(input, 'input', 'draft-2020-12')]),
          ),
        }
      : {}),
  };
}

function operation(op: SyncOperation, params: string[], method: string): Json {
  const { contract } = op;
  const input = jsonSchemaOf(contract.input, 'input', 'draft-2020-12');
  const output = jsonSchemaOf(contract.output, 'output', 'draft-2020-12');
  const parameters: Json[] = params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  parameters.push({
    name: CallHeader.timeout,
    in: 'header',
    required: false,
    description: "The caller's remaining time in ms; the handler's ctx.signal aborts when it passes.",
    schema: { type: 'integer', minimum: 0 },
  });
  // A contract made by an older @tandem/core has neither: unversioned.
  const versioned = (contract.version ?? 1) > 1 || (contract.olderVersions?.size ?? 0) > 0;
  if (versioned) parameters.push(versionParameter(contract));
  if (contract.kind === 'command') {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Runs the command once per key (per caller); a repeat gets the stored response.',
      schema: { type: 'string', maxLength: 255 },
    });
  }
  const result: Json = {
    operationId: contract.name,
    tags: [op.service],
    summary: contract.description ?? `${contract.kind} ${contract.name}`,
    ...(versioned ? versionNotes(contract) : {}),
    parameters,
    responses: {
      ...(returnsNothing(contract.output)
        ? { '204': { description: 'Done; the handler returns nothing' } }
        : { '200': { description: 'The result', content: { 'application/json': { schema: output } } } }),
      ...Object.fromEntries(
        Object.keys(problemResponses).map((status) => [status, { $ref: `#/components/responses/Problem${status}` }]),
      ),
    },
  };
  if (hasBody(method)) {
    result.requestBody = { required: true, content: { 'application/json': { schema: input } } };
  } else {
    parameters.push({
      name: 'input',
      in: 'query',
      required: false,
      description: 'The input as JSON; flat query parameters (as strings) are accepted instead.',
      content: { 'application/json': { schema: input } },
    });
  }
  return result;
}

/** The OpenAPI 3.1 document of an app's commands and queries. */
export function openApiDocument(model: AppModel, options: OpenApiOptions): Json {
  const paths: Record<string, Json> = {};
  const base = (options.basePath ?? '').replace(/\/$/, '');
  for (const op of model.sync) {
    const route = routeOf(op.contract);
    const { path, params } = toOpenApiPath(base + route.path);
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(op, params, route.method);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: options.title,
      version: options.version,
      ...(options.description ? { description: options.description } : {}),
    },
    ...(options.servers ? { servers: options.servers } : {}),
    tags: model.services.map((name) => ({ name })),
    paths,
    components: {
      schemas: { Problem: problemSchema },
      responses: Object.fromEntries(
        Object.entries(problemResponses).map(([status, description]) => [
          `Problem${status}`,
          { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } } },
        ]),
      ),
    },
  };
}
