/**
 * Log lines shipped as OpenTelemetry log records over OTLP/HTTP, next to stdout:
 * with OTEL_LOGS_EXPORTER=otlp every line the logger writes also goes to
 * `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/logs` (protobuf or JSON, as
 * OTEL_EXPORTER_OTLP_PROTOCOL says), batched by the SDK. A line keeps its fields
 * as attributes; its `trace_id` and `span_id` become the record's trace context,
 * so a collector (and Loki behind it) finds every line of a trace or request id
 * across services. Loaded only when shipping is on.
 * Source: opentelemetry.io/docs/specs/otel/logs/data-model (severity numbers),
 * opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables
 */
import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api'
import { type AnyValueMap, SeverityNumber } from '@opentelemetry/api-logs'
import { OTLPLogExporter as OtlpJson } from '@opentelemetry/exporter-logs-otlp-http'
import { OTLPLogExporter as OtlpProto } from '@opentelemetry/exporter-logs-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs'

/** pino's level labels (the kit logs them as `level`) as OpenTelemetry severities. */
const SEVERITY: Record<string, SeverityNumber> = {
  trace: SeverityNumber.TRACE,
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  fatal: SeverityNumber.FATAL,
}
const HEX_TRACE = /^[0-9a-f]{32}$/
const HEX_SPAN = /^[0-9a-f]{16}$/

export interface LogExportSettings {
  OTEL_EXPORTER_OTLP_ENDPOINT: string
  OTEL_EXPORTER_OTLP_PROTOCOL?: 'http/protobuf' | 'http/json'
  OTEL_SERVICE_NAME?: string
}

/** A stream for pino (one JSON line per write) that ships each line, and the exporter's shutdown. */
export interface LogExport {
  stream: { write(line: string): void }
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>
}

/**
 * @example const shipped = startLogExport('posts', config); createLogger({ service: 'posts', also: shipped.stream })
 */
export function startLogExport(service: string, s: LogExportSettings): LogExport {
  const url = `${s.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/logs`
  const exporter =
    s.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json' ? new OtlpJson({ url }) : new OtlpProto({ url })
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': s.OTEL_SERVICE_NAME ?? service }),
    processors: [new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 500 })],
  })
  const logger = provider.getLogger('civildiy-kit')
  return {
    stream: {
      write(line) {
        let fields: Record<string, unknown>
        try {
          fields = JSON.parse(line) as Record<string, unknown>
        } catch {
          return
        }
        const { level, time, msg, trace_id, span_id, ...rest } = fields
        const label = String(level)
        logger.emit({
          severityNumber: SEVERITY[label] ?? SeverityNumber.UNSPECIFIED,
          severityText: label.toUpperCase(),
          body: typeof msg === 'string' ? msg : '',
          timestamp: typeof time === 'string' ? new Date(time) : new Date(),
          attributes: attributesOf(rest),
          context:
            HEX_TRACE.test(String(trace_id)) && HEX_SPAN.test(String(span_id))
              ? trace.setSpanContext(ROOT_CONTEXT, {
                  traceId: String(trace_id),
                  spanId: String(span_id),
                  traceFlags: TraceFlags.SAMPLED,
                })
              : undefined,
        })
      },
    },
    shutdown: () => provider.shutdown(),
  }
}

/** A line's other fields as attributes: scalars as they are, objects as JSON text. */
function attributesOf(fields: Record<string, unknown>): AnyValueMap {
  const out: AnyValueMap = {}
  for (const [k, v] of Object.entries(fields)) {
    if (v === null || v === undefined) continue
    out[k] = typeof v === 'object' ? JSON.stringify(v) : (v as string | number | boolean)
  }
  return out
}
