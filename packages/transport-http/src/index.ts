export { httpServer } from './server.js';
export type { HttpServer, HttpServerOptions, AuthRequest } from './server.js';
export { httpClient } from './client.js';
export type { HttpClient, HttpClientOptions, ClientCallOptions } from './client.js';
export { routeOf } from './routes.js';
export { toProblem, fromProblem, problemType, statusOf, PROBLEM_CONTENT_TYPE } from './problem.js';
export type { Problem } from './problem.js';
