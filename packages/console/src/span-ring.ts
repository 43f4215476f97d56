import { redactCredentials } from '@tandem/core';

/**
 * What the ring reads of a finished span: a structural subset of the OpenTelemetry SDK's
 * `ReadableSpan`, so that the console needs no SDK of its own and works with the app's.
 */
export interface FinishedSpan {
  readonly name: string;
  readonly kind: number;
  spanContext(): { traceId: string; spanId: string };
  readonly parentSpanContext?: { spanId: string } | undefined;
  readonly startTime: readonly [number, number];
  readonly duration: readonly [number, number];
  readonly status: { code: number; message?: string | undefined };
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly instrumentationScope?: { name: string } | undefined;
  readonly resource?: { attributes: Readonly<Record<string, unknown>> } | undefined;
}

/** A span as the console answers it: small, with secrets gone and long values cut. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** internal | server | client | producer | consumer */
  kind: string;
  /** The service, from the resource's `service.name`, when there is one. */
  service?: string;
  /** Epoch ms. */
  startMs: number;
  durationMs: number;
  error: boolean;
  statusMessage?: string;
  attributes: Record<string, string | number | boolean>;
}

/** A trace as the list of recent traces shows it. */
export interface TraceSummary {
  traceId: string;
  /** The root span's name, or the earliest span's when the root is not in the ring. */
  name: string;
  startMs: number;
  durationMs: number;
  spans: number;
  error: boolean;
  services: string[];
}

/** How much the ring keeps. */
export interface SpanRingOptions {
  /** Most spans kept. Default 5,000. */
  maxSpans?: number;
  /** Most bytes kept (as the spans' JSON). Default 4 MiB. */
  maxBytes?: number;
  /** Longest attribute value kept, in characters; longer ones are cut. Default 256. */
  maxAttributeLength?: number;
  /** Most attributes kept per span. Default 32. */
  maxAttributes?: number;
}

const KINDS = ['internal', 'server', 'client', 'producer', 'consumer'];
/** Attribute names whose values are credentials: dropped, never shown. */
const SECRET_NAME = /authorization|cookie|password|passwd|secret|token|api[-_.]?key|credential|session/i;
const ERROR = 2;
/** A URL at the very end of a cut value whose user-info may go on past the cut. */
const DANGLING_USERINFO = /([a-z][a-z0-9+.-]{0,30}:\/\/)[^\s'"/@]*…$/i;

/**
 * The last finished spans, for the console's trace view: an OpenTelemetry span processor
 * to add to the app's tracer provider beside any exporter
 * (`new TracerProvider({ spanProcessors: [ring, exporterProcessor] })`). Bounded by count
 * and by bytes, oldest out first; secret attributes (authorization and cookie headers,
 * tokens, passwords) are dropped and credentials in URLs redacted on the way in.
 */
export class SpanRing {
  private readonly queue: { record: SpanRecord; bytes: number }[] = [];
  private head = 0;
  private readonly byTrace = new Map<string, SpanRecord[]>();
  private bytes = 0;
  private readonly maxSpans: number;
  private readonly maxBytes: number;
  private readonly maxValue: number;
  private readonly maxAttributes: number;

  constructor(options: SpanRingOptions = {}) {
    this.maxSpans = options.maxSpans ?? 5_000;
    this.maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
    this.maxValue = options.maxAttributeLength ?? 256;
    this.maxAttributes = options.maxAttributes ?? 32;
  }

  /** Spans and bytes held now. */
  get size(): { spans: number; bytes: number } {
    return { spans: this.queue.length - this.head, bytes: this.bytes };
  }

  onStart(): void {}

  onEnd(span: FinishedSpan): void {
    const record = this.recordOf(span);
    // Two bytes a character: what a JavaScript string costs at most.
    const bytes = 2 * JSON.stringify(record).length;
    if (bytes > this.maxBytes) return;
    this.queue.push({ record, bytes });
    this.bytes += bytes;
    let spans = this.byTrace.get(record.traceId);
    if (!spans) this.byTrace.set(record.traceId, (spans = []));
    spans.push(record);
    while (this.queue.length - this.head > this.maxSpans || this.bytes > this.maxBytes) this.evict();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  /** The most recent traces first, at most `limit`. */
  traces(limit = 50): TraceSummary[] {
    const out: TraceSummary[] = [];
    for (const [traceId, spans] of this.byTrace) out.push(summary(traceId, spans));
    return out.sort((a, b) => b.startMs - a.startMs).slice(0, limit);
  }

  /** One trace's spans in the ring, by start time, a parent before the children that start with it; undefined when none is left. */
  trace(traceId: string): SpanRecord[] | undefined {
    const spans = this.byTrace.get(traceId);
    if (!spans) return undefined;
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const depth = (span: SpanRecord): number => {
      let n = 0;
      for (let p = span.parentSpanId; p !== undefined && n < spans.length; p = byId.get(p)?.parentSpanId) n++;
      return n;
    };
    return [...spans].sort((a, b) => a.startMs - b.startMs || depth(a) - depth(b));
  }

  private evict(): void {
    const oldest = this.queue[this.head++]!;
    this.bytes -= oldest.bytes;
    const spans = this.byTrace.get(oldest.record.traceId);
    if (spans) {
      spans.splice(spans.indexOf(oldest.record), 1);
      if (spans.length === 0) this.byTrace.delete(oldest.record.traceId);
    }
    // Compact now and then rather than shift() per span.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  private recordOf(span: FinishedSpan): SpanRecord {
    const context = span.spanContext();
    const service = span.resource?.attributes['service.name'];
    const record: SpanRecord = {
      traceId: context.traceId,
      spanId: context.spanId,
      name: this.safe(span.name),
      kind: KINDS[span.kind] ?? 'internal',
      startMs: span.startTime[0] * 1000 + span.startTime[1] / 1e6,
      durationMs: span.duration[0] * 1000 + span.duration[1] / 1e6,
      error: span.status.code === ERROR,
      attributes: this.attributesOf(span.attributes),
    };
    if (span.parentSpanContext?.spanId) record.parentSpanId = span.parentSpanContext.spanId;
    if (typeof service === 'string') record.service = this.cut(service);
    if (span.status.message) record.statusMessage = this.safe(span.status.message);
    return record;
  }

  private attributesOf(attributes: Readonly<Record<string, unknown>>): Record<string, string | number | boolean> {
    const out: Record<string, string | number | boolean> = {};
    let kept = 0;
    for (const [name, value] of Object.entries(attributes)) {
      if (kept >= this.maxAttributes) break;
      if (SECRET_NAME.test(name) || value === undefined || value === null) continue;
      out[this.cut(name)] =
        typeof value === 'number' || typeof value === 'boolean'
          ? value
          : this.safe(Array.isArray(value) ? value.join(',') : String(value));
      kept++;
    }
    return out;
  }

  private cut(text: string): string {
    return text.length > this.maxValue ? `${text.slice(0, this.maxValue)}…` : text;
  }

  /**
   * Redacted, then cut. Redaction reads a bounded prefix only (its patterns cost more than
   * linear time on long values); a URL that the cut leaves without the end of its user-info
   * loses what follows its scheme.
   */
  private safe(text: string): string {
    if (text.length <= this.maxValue) return redactCredentials(text);
    const cut = this.cut(redactCredentials(text.slice(0, this.maxValue * 2)));
    return cut.replace(DANGLING_USERINFO, '$1***…');
  }
}

function summary(traceId: string, spans: readonly SpanRecord[]): TraceSummary {
  const ids = new Set(spans.map((s) => s.spanId));
  let start = Infinity;
  let end = -Infinity;
  let first = spans[0]!;
  for (const s of spans) {
    if (s.startMs < start) start = s.startMs;
    end = Math.max(end, s.startMs + s.durationMs);
    if (s.startMs < first.startMs) first = s;
  }
  const root = spans.find((s) => s.parentSpanId === undefined || !ids.has(s.parentSpanId)) ?? first;
  return {
    traceId,
    name: root.parentSpanId === undefined ? root.name : first.name,
    startMs: start,
    durationMs: end - start,
    spans: spans.length,
    error: spans.some((s) => s.error),
    services: [...new Set(spans.flatMap((s) => (s.service ? [s.service] : [])))].sort(),
  };
}
