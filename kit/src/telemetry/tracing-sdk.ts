/**
 * The OpenTelemetry SDK set up as tracing.ts describes: an OTLP/HTTP exporter
 * (protobuf or JSON), a batch span processor, the sampler the standard variables
 * name, AsyncLocalStorage context and W3C Trace Context propagation. Imported
 * only when tracing is on (see startTracing).
 * Source: opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables
 */
import { context, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { OTLPTraceExporter as OtlpJson } from '@opentelemetry/exporter-trace-otlp-http'
import { OTLPTraceExporter as OtlpProto } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base'
import type { Tracing, TracingSettings } from './tracing.ts'

function sampler(s: TracingSettings): Sampler {
  const ratio = s.OTEL_TRACES_SAMPLER_ARG ?? 0.1
  switch (s.OTEL_TRACES_SAMPLER ?? 'parentbased_traceidratio') {
    case 'always_on':
      return new AlwaysOnSampler()
    case 'always_off':
      return new AlwaysOffSampler()
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio)
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() })
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() })
    default:
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) })
  }
}

/** Installs the global tracer provider, context manager and propagator. */
export function startSdk(
  service: string,
  s: TracingSettings & { OTEL_EXPORTER_OTLP_ENDPOINT: string },
): Tracing {
  const url = `${s.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`
  const exporter =
    s.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json' ? new OtlpJson({ url }) : new OtlpProto({ url })
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': s.OTEL_SERVICE_NAME ?? service }),
    sampler: sampler(s),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 })],
  })
  trace.setGlobalTracerProvider(provider)
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  return { shutdown: () => provider.shutdown() }
}
