/**
 * Every error Tandem raises or understands. Each has a stable `code` that crosses
 * process boundaries (HTTP problem details carry it), a `retriable` flag the runtime
 * reads when it decides between retry and dead-letter, and an optional `cause`.
 *
 * `instanceof` is answered by a `Symbol.for` brand, not by prototype identity, so it
 * holds when two copies of @tandem/core are installed side by side.
 */
const kTandemError = Symbol.for('tandem.error');

/** What every TandemError carries besides its message: a cause and details. */
export interface TandemErrorOptions {
  cause?: unknown;
  /** Machine-readable details safe to show a caller (validation issues, limits). */
  details?: Record<string, unknown>;
}

/** The base of Tandem's typed errors, each with a stable `code` to branch on. */
export class TandemError extends Error {
  readonly code: string = 'TANDEM_ERROR';
  readonly retriable: boolean = false;
  readonly details: Record<string, unknown> | undefined;
  readonly [kTandemError] = true;

  constructor(message: string, options: TandemErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null || !(kTandemError in value)) return false;
    if (this === TandemError) return true;
    // Built-in subclasses match by code so the check holds across two installed copies;
    // a user's own subclass falls back to the prototype chain.
    const code = builtInCodes.get(this);
    if (code !== undefined) return (value as { code?: unknown }).code === code;
    return Object.prototype.isPrototypeOf.call(this.prototype, value);
  }
}

const builtInCodes = new WeakMap<object, string>();

/**
 * A built-in error class: constructed like TandemError, with a fixed `code` and
 * `retriable`; `instanceof` matches by code. Named so that declarations stay one line per
 * class instead of repeating the class shape.
 */
export interface TandemErrorClass {
  new (message: string, options?: TandemErrorOptions): TandemError;
  readonly prototype: TandemError;
}

/** Declares a TandemError subclass with a fixed code and retriable flag. */
function errorClass(name: string, code: string, retriable: boolean): TandemErrorClass {
  const cls = class extends TandemError {
    override readonly code: string = code;
    override readonly retriable: boolean = retriable;
  };
  Object.defineProperty(cls, 'name', { value: name });
  builtInCodes.set(cls, code);
  return cls;
}

/** Input or output did not match its contract's schema. Never retried. */
export const ValidationError = errorClass('ValidationError', 'TANDEM_VALIDATION', false);
export type ValidationError = InstanceType<typeof ValidationError>;
/**
 * A request names a version of its contract (`tandem-contract-version`) that the service does
 * not take: newer than the service's contract, older than any it still declares, or not a
 * version at all. Never retried: the same request fails the same way.
 */
export const UnsupportedVersionError = errorClass('UnsupportedVersionError', 'TANDEM_UNSUPPORTED_VERSION', false);
export type UnsupportedVersionError = InstanceType<typeof UnsupportedVersionError>;
/** The request body is not valid JSON (or not JSON at all). */
export const MalformedRequestError = errorClass('MalformedRequestError', 'TANDEM_MALFORMED_REQUEST', false);
export type MalformedRequestError = InstanceType<typeof MalformedRequestError>;
/** The request body exceeds the configured limit. */
export const PayloadTooLargeError = errorClass('PayloadTooLargeError', 'TANDEM_PAYLOAD_TOO_LARGE', false);
export type PayloadTooLargeError = InstanceType<typeof PayloadTooLargeError>;
/** No command or query is served at this route. */
export const RouteNotFoundError = errorClass('RouteNotFoundError', 'TANDEM_ROUTE_NOT_FOUND', false);
export type RouteNotFoundError = InstanceType<typeof RouteNotFoundError>;
/** The route exists but not for this HTTP method. */
export const MethodNotAllowedError = errorClass('MethodNotAllowedError', 'TANDEM_METHOD_NOT_ALLOWED', false);
export type MethodNotAllowedError = InstanceType<typeof MethodNotAllowedError>;
/** The request's media type is not JSON. */
export const UnsupportedMediaTypeError = errorClass(
  'UnsupportedMediaTypeError',
  'TANDEM_UNSUPPORTED_MEDIA_TYPE',
  false,
);
export type UnsupportedMediaTypeError = InstanceType<typeof UnsupportedMediaTypeError>;
/** The caller could not be authenticated. */
export const UnauthorizedError = errorClass('UnauthorizedError', 'TANDEM_UNAUTHORIZED', false);
export type UnauthorizedError = InstanceType<typeof UnauthorizedError>;
/** The caller is known but not allowed. */
export const ForbiddenError = errorClass('ForbiddenError', 'TANDEM_FORBIDDEN', false);
export type ForbiddenError = InstanceType<typeof ForbiddenError>;
/** A domain object the handler looked for does not exist. */
export const NotFoundError = errorClass('NotFoundError', 'TANDEM_NOT_FOUND', false);
export type NotFoundError = InstanceType<typeof NotFoundError>;
/** The request conflicts with the current state (a domain rule, not a transient fault). */
export const ConflictError = errorClass('ConflictError', 'TANDEM_CONFLICT', false);
export type ConflictError = InstanceType<typeof ConflictError>;
/** A consumed message is not a valid Tandem CloudEvent (bad JSON, missing attributes). Never retried. */
export const MalformedMessageError = errorClass('MalformedMessageError', 'TANDEM_MALFORMED_MESSAGE', false);
export type MalformedMessageError = InstanceType<typeof MalformedMessageError>;
/** A handler declares that retrying can never help; events go straight to dead-letter. */
export const NonRetryableError = errorClass('NonRetryableError', 'TANDEM_NON_RETRYABLE', false);
export type NonRetryableError = InstanceType<typeof NonRetryableError>;
/** A deadline passed before the handler or call finished. */
export const TimeoutError = errorClass('TimeoutError', 'TANDEM_TIMEOUT', true);
export type TimeoutError = InstanceType<typeof TimeoutError>;
/** The service is stopping and takes no new work. */
export const ShuttingDownError = errorClass('ShuttingDownError', 'TANDEM_SHUTTING_DOWN', true);
export type ShuttingDownError = InstanceType<typeof ShuttingDownError>;
/**
 * A run that had started was stopped before it finished: the app's shutdown deadline passed,
 * or the run's caller went away. Whatever it wrote was rolled back and nothing it published
 * was sent, but unlike TANDEM_SHUTTING_DOWN (refused before any handler code ran) its handler
 * did run in part: resending it is safe only with an idempotency key.
 */
export const AbortedError = errorClass('AbortedError', 'TANDEM_ABORTED', true);
export type AbortedError = InstanceType<typeof AbortedError>;
/**
 * `ctx.tx` was used after its run's unit of work ended (the deadline passed, the caller
 * cancelled, or the handler had returned): the transaction is closed, and its connection may
 * already serve another request, so the statement was not sent.
 */
export const TransactionClosedError = errorClass('TransactionClosedError', 'TANDEM_TRANSACTION_CLOSED', false);
export type TransactionClosedError = InstanceType<typeof TransactionClosedError>;
/** A dependency (broker, store, downstream service) is not reachable now. */
export const UnavailableError = errorClass('UnavailableError', 'TANDEM_UNAVAILABLE', true);
export type UnavailableError = InstanceType<typeof UnavailableError>;
/** A downstream's circuit breaker is open: the call failed fast without being sent. */
export const CircuitOpenError = errorClass('CircuitOpenError', 'TANDEM_CIRCUIT_OPEN', true);
export type CircuitOpenError = InstanceType<typeof CircuitOpenError>;
/** The broker refused, could not route, or did not confirm a message. */
export const BrokerError = errorClass('BrokerError', 'TANDEM_BROKER', true);
export type BrokerError = InstanceType<typeof BrokerError>;
/**
 * A message for a saga instance that does not exist yet (it may have overtaken the message
 * that starts it): retried with the saga's policy, dead-lettered if the instance never appears.
 */
export const SagaNotStartedError = errorClass('SagaNotStartedError', 'TANDEM_SAGA_NOT_STARTED', true);
export type SagaNotStartedError = InstanceType<typeof SagaNotStartedError>;
/** Another step changed the saga instance first (a store that cannot lock it); the step runs again. */
export const SagaConflictError = errorClass('SagaConflictError', 'TANDEM_SAGA_CONFLICT', true);
export type SagaConflictError = InstanceType<typeof SagaConflictError>;
/** An Idempotency-Key is in use by a request still in flight. */
export const IdempotencyInFlightError = errorClass('IdempotencyInFlightError', 'TANDEM_IDEMPOTENCY_IN_FLIGHT', true);
export type IdempotencyInFlightError = InstanceType<typeof IdempotencyInFlightError>;
/** An Idempotency-Key was reused with a different request. */
export const IdempotencyMismatchError = errorClass('IdempotencyMismatchError', 'TANDEM_IDEMPOTENCY_MISMATCH', false);
export type IdempotencyMismatchError = InstanceType<typeof IdempotencyMismatchError>;
/**
 * A replay of an Idempotency-Key whose command ran, but whose answer was too large to keep
 * (IdempotencyOptions.maxStoredBytes): the command is not run again, and its answer is gone.
 */
export const IdempotencyResultNotStoredError = errorClass(
  'IdempotencyResultNotStoredError',
  'TANDEM_IDEMPOTENCY_RESULT_NOT_STORED',
  false,
);
export type IdempotencyResultNotStoredError = InstanceType<typeof IdempotencyResultNotStoredError>;
/** Configuration is missing or invalid; raised at start, naming the setting. */
export const ConfigError = errorClass('ConfigError', 'TANDEM_CONFIG', false);
export type ConfigError = InstanceType<typeof ConfigError>;
/** Handlers or services are declared wrongly; raised at start, naming the handler. */
export const RegistrationError = errorClass('RegistrationError', 'TANDEM_REGISTRATION', false);
export type RegistrationError = InstanceType<typeof RegistrationError>;
/** A handler threw something that is not a TandemError: a bug or an unknown failure. */
export const InternalError = errorClass('InternalError', 'TANDEM_INTERNAL', true);
export type InternalError = InstanceType<typeof InternalError>;

/** Every built-in error class, by code, so a client can rebuild the typed error. */
export const errorClassesByCode: ReadonlyMap<string, TandemErrorClass> = new Map(
  [
    ValidationError,
    UnsupportedVersionError,
    MalformedRequestError,
    PayloadTooLargeError,
    RouteNotFoundError,
    MethodNotAllowedError,
    UnsupportedMediaTypeError,
    UnauthorizedError,
    ForbiddenError,
    NotFoundError,
    ConflictError,
    NonRetryableError,
    MalformedMessageError,
    TimeoutError,
    ShuttingDownError,
    AbortedError,
    TransactionClosedError,
    UnavailableError,
    CircuitOpenError,
    BrokerError,
    IdempotencyInFlightError,
    IdempotencyMismatchError,
    IdempotencyResultNotStoredError,
    ConfigError,
    RegistrationError,
    InternalError,
  ].map((cls) => [builtInCodes.get(cls)!, cls]),
);

/** Whether a value is a TandemError (also across copies of the package). */
export function isTandemError(value: unknown): value is TandemError {
  return value instanceof TandemError;
}

/** Whether retrying the work that threw `error` may succeed. Unknown errors are assumed transient. */
export function isRetriable(error: unknown): boolean {
  if (isTandemError(error)) return error.retriable;
  return true;
}
