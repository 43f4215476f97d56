// Contracts
export { defineCommand, defineQuery, defineEvent, isContract } from './contracts/contracts.js';
export type {
  AnyContract,
  CommandContract,
  QueryContract,
  EventContract,
  SyncContract,
  RouteSpec,
  Schema,
  InputOf,
  ParsedInputOf,
  OutputOf,
  ReturnOf,
  DataOf,
  ParsedDataOf,
} from './contracts/contracts.js';
export type { OlderVersion, OlderInput, UpcastChain, InputUpcastChain, AcceptsPolicy } from './contracts/versions.js';

// Services and decorators
export { Service, Command, Query, OnEvent, describeService } from './decorators/decorators.js';
export type { ServiceInput } from './decorators/decorators.js';
export { service, ServiceBuilder } from './runtime/service.js';
export type {
  ServiceDefinition,
  HandlerRegistration,
  HandlerKind,
  HandlerOptions,
  EventHandlerOptions,
  CommandHandler,
  QueryHandler,
  EventHandler,
} from './runtime/service.js';

// App runtime
export { createApp } from './runtime/app.js';
export type { App, AppState } from './runtime/app.js';
export type { AppOptions } from './runtime/app-options.js';
export type { HandlerContext, HandlerMeta, PublishOptions, CallOptions } from './runtime/handler-context.js';
export type { Invocation } from './runtime/invocation.js';
export type {
  SyncServer,
  SyncHost,
  SyncEndpoint,
  InvokeRequest,
  InvokeReply,
  HealthReport,
  HealthCheck,
} from './runtime/sync-host.js';
export { CallHeader } from './runtime/call-transport.js';
export { inputVersions, requestedInputVersion, upcastInput } from './runtime/upcast-input.js';
export { boundedJson } from './runtime/bounded-json.js';
export type { CallTransport, OutboundCall } from './runtime/call-transport.js';
export { ActivityHub } from './activity/activity.js';
export type {
  Activity,
  ActivityListener,
  ActivitySink,
  ActivitySource,
  BreakerActivity,
  DeadLetteredActivity,
  HandlerRunActivity,
  PublishedActivity,
  RetryActivity,
  RunOutcome,
} from './activity/activity.js';

// Middleware
export { compose } from './middleware/compose.js';
export type { Middleware } from './middleware/compose.js';
export { issuesOf } from './middleware/validation.js';
export type { ValidationIssue } from './middleware/validation.js';
export { defaultValidationLimits } from './middleware/validation-limits.js';
export type { ValidationLimits, ValidationDetails } from './middleware/validation-limits.js';

// Errors
export * from './errors/errors.js';

// Config
export { fromEnv, brokerFromUrl, storeFromUrl } from './config/from-env.js';
export type { EnvConfig } from './config/from-env.js';
export { registerBrokerScheme, registerStoreScheme } from './config/schemes.js';
export type { BrokerFactory, StoreFactory } from './config/schemes.js';
export { redactUrl, redactCredentials } from './config/redact.js';
export { parseDuration } from './cli/durations.js';
export { parsePort } from './config/port.js';
export { runMain, describeFailure } from './runtime/run-main.js';
export type { RunMainOptions } from './runtime/run-main.js';

// Graceful shutdown
export { stopOnSignals } from './runtime/stop-on-signals.js';
export type { StopOnSignalsOptions } from './runtime/stop-on-signals.js';

// Tracing and metrics (OpenTelemetry API only; register an SDK to record them)
export { activeTracer, tandemTracer } from './tracing/tracer.js';
export { injectTraceContext, extractTraceContext } from './tracing/propagation.js';
export { traceSend, startProcessSpan, endProcessSpan, MessagingAttribute } from './tracing/messaging-spans.js';
export type { ProcessSpan } from './tracing/messaging-spans.js';
export { recordSpanError, errorType } from './tracing/span-errors.js';
export { logTraceFields } from './tracing/log-fields.js';
export { startHttpServerSpan, startHttpClientSpan } from './tracing/http-spans.js';
export type {
  HttpServerSpan,
  HttpServerRequestInfo,
  HttpClientSpan,
  HttpClientRequestInfo,
} from './tracing/http-spans.js';
/** The OpenTelemetry context type, for adapters that pass trace context without importing the API. */
/** The OpenTelemetry context a message or call carries its trace in (OpenTelemetry's `Context`). */
export type { Context as TraceContext } from '@opentelemetry/api';
export { instrumentsFor } from './metrics/meter.js';
export type { Instruments } from './metrics/meter.js';
export { runtimeInstruments, MetricName } from './metrics/runtime-metrics.js';
export type { RuntimeInstruments } from './metrics/runtime-metrics.js';
export { observeOutboxBacklog, observeBreakerStates, BreakerStateValue } from './metrics/gauges.js';
export type { GaugeReading, GaugeSource, GaugeRegistration } from './metrics/gauges.js';

// Logging
export { createLogger, silentLogger } from './log/logger.js';
export type { Logger, LogLevel, ConsoleLoggerOptions } from './log/logger.js';

// Retry
export { defaultRetryPolicy, resolveRetryPolicy, backoffDelay, decideRetry } from './retry/retry-policy.js';
export type { RetryPolicy, RetryDecision } from './retry/retry-policy.js';

// Messages (for transport authors and CloudEvents interop)
export { Header, toBindingHeaders, fromBindingHeaders } from './messages/headers.js';
export { encodeEvent, decodeEvent, dataschemaOf } from './messages/envelope.js';
export type { EnvelopeOptions, DecodedEvent } from './messages/envelope.js';
export { uuidv7 } from './messages/uuid.js';
export { contentModeOf, toStructuredMessage } from './messages/content-mode.js';
export { eventTypeOf } from './messages/structured.js';
export type { ContentMode } from './messages/content-mode.js';

// Broker seam, in-process broker and helpers for transport authors
export type {
  BrokerTransport,
  TransportCapabilities,
  TransportHealth,
  OutgoingMessage,
  IncomingMessage,
  MessageOrigin,
  Disposition,
  SubscriptionSpec,
  Subscription,
  MessageHandler,
  DispositionCallback,
  DeadLetter,
  DeadLetterAccess,
} from './transport/broker.js';
export { MemoryBroker, MemoryTransport, memoryTransport } from './transport/memory/memory-broker.js';
export type { MemoryTransportOptions } from './transport/memory/memory-broker.js';
export { createKeyedRunner } from './transport/keyed-runner.js';
export type { KeyedRunner } from './transport/keyed-runner.js';
export { deadLetterHeaders, deadLetterJson, readDeadLetter } from './transport/dead-letter.js';

// Replay: past events to one consumer group
export type { EventHistory, GroupDelivery, HistoryQuery, PastEvent } from './replay/history.js';
export { outboxHistoryOf } from './replay/history.js';
export { replay, checkReplayOptions } from './replay/replay.js';
export type { ReplayOptions, ReplayProgress, ReplayResult } from './replay/replay.js';
export type { AppReplayOptions } from './replay/app-replay.js';

// Store seam
export type {
  Store,
  OutboxStore,
  OutboxReader,
  OutboxRecord,
  OutboxRefusal,
  OutboxAdmin,
  RefusedOutboxRecord,
  InboxStore,
  IdempotencyStore,
  IdempotencyBegin,
  IdempotencyOutcome,
  RetentionOptions,
} from './stores/store.js';
export { outboxBucket, fairShare, defaultRetention, DEFAULT_OUTBOX_BUCKETS, outboxAdminOf } from './stores/store.js';
export { MemoryStore, memoryStore } from './stores/memory-store.js';
export type { MemoryStoreOptions } from './stores/memory-store.js';
export { MemoryTx } from './stores/memory-tx.js';
export { MemorySagaStore } from './stores/memory-sagas.js';
export { MemoryIdempotencyStore } from './stores/memory-idempotency.js';
export type { MemoryIdempotencyOptions } from './stores/memory-idempotency.js';
export type { MemoryInboxOptions } from './stores/memory-inbox.js';
export { StoreMetricName } from './metrics/store-metrics.js';
export { outboxRelay } from './outbox/relay.js';
export type { OutboxRelay, RelayOptions, RelayStats } from './outbox/relay.js';

// Sagas
export { saga, SagaBuilder, isSaga } from './sagas/define.js';
export type {
  SagaOptions,
  SagaStepFn,
  SagaReply,
  SagaCommandError,
  SagaTimeoutFired,
  SagaEventOptions,
  Correlate,
  SagaModel,
} from './sagas/define.js';
export { undo } from './sagas/step.js';
export { Saga, StartedBy, SagaOn, OnReply, OnTimeout } from './sagas/decorators.js';
export type { SagaStep, SagaUndo } from './sagas/step.js';
export type { SagaClockOptions } from './sagas/clock.js';
export { SagaMessageType, sagaTopic } from './sagas/messages.js';
export { SagaMetricName } from './sagas/metrics.js';
export { retryParkedSaga } from './sagas/operator.js';

// Saga store seam
export type {
  SagaStore,
  SagaInstance,
  SagaStatus,
  SagaData,
  SagaAction,
  SagaTimeout,
  PendingCommand,
  SagaHistoryEntry,
  SagaQuery,
  SagaCount,
} from './sagas/saga-store.js';
export { endedSagaStatuses, MAX_SAGA_HISTORY } from './sagas/saga-store.js';

// Documentation from contracts: AsyncAPI, event flow, JSON Schema (OpenAPI is in @tandem/transport-http)
export { describeApp } from './docs/app-model.js';
export type { AppModel, SyncOperation, EventUse, SagaUse } from './docs/app-model.js';
export { asyncApiDocument } from './docs/asyncapi.js';
export type { AsyncApiOptions } from './docs/asyncapi.js';
export { eventFlow } from './docs/event-flow.js';
export type { EventFlow, FlowEdge, CommandEdge } from './docs/event-flow.js';
export { jsonSchemaOf } from './docs/json-schema.js';
export type { JsonSchema } from './docs/json-schema.js';

// The compatibility gate: a baseline of an app's contracts, and the changes since, breaking or safe
export { contractsSnapshot, snapshotText, SNAPSHOT_FORMAT } from './compat/snapshot.js';
export type { ContractsSnapshot, SyncSnapshot, EventSnapshot } from './compat/snapshot.js';
export { checkContracts } from './compat/check.js';
export type { ContractChange } from './compat/check.js';
export { diffSchemas } from './compat/schema-diff.js';
export type { Directions, SchemaChange } from './compat/schema-diff.js';
