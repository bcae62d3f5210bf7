/**
 * Log lines shipped over OTLP/HTTP (JSON) to a receiver on an ephemeral port, as
 * a collector would get them: severity, body, the line's fields as attributes,
 * its trace and span ids as the record's trace context, the service as resource;
 * lines below the logger's level are not shipped, and stdout still gets every line.
 */
import { expect, test } from 'bun:test'
import { Writable } from 'node:stream'
import { createLogger } from '../logger.ts'
import { startLogExport } from './log-export.ts'

interface OtlpLogs {
  resourceLogs: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] }
    scopeLogs: {
      logRecords: {
        severityNumber: number
        severityText: string
        body: { stringValue: string }
        traceId?: string
        spanId?: string
        attributes: { key: string; value: Record<string, unknown> }[]
      }[]
    }[]
  }[]
}

test('every line at the logger level goes to stdout and to the collector, with its trace context', async () => {
  const received: OtlpLogs[] = []
  const collector = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      if (new URL(request.url).pathname === '/v1/logs')
        received.push((await request.json()) as OtlpLogs)
      return Response.json({})
    },
  })
  try {
    const shipped = startLogExport('posts', {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collector.port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    })
    const stdout: string[] = []
    const logger = createLogger({
      service: 'posts',
      level: 'info',
      destination: new Writable({
        write(chunk, _enc, done) {
          stdout.push(String(chunk))
          done()
        },
      }),
      also: shipped.stream,
    })
    logger.debug('below the level: nowhere')
    logger.info(
      {
        requestId: 'req-1',
        trace_id: '0af7651916cd43dd8448eb211c80319c',
        span_id: 'b7ad6b7169203331',
        route: '/posts',
        status: 201,
        detail: { a: 1 },
      },
      'request',
    )
    logger.warn('no trace here')
    await shipped.shutdown()

    expect(stdout.map((l) => JSON.parse(l).msg)).toEqual(['request', 'no trace here'])
    const resource = received[0]!.resourceLogs[0]!.resource.attributes
    expect(resource.find((a) => a.key === 'service.name')?.value.stringValue).toBe('posts')
    const records = received.flatMap((r) =>
      r.resourceLogs.flatMap((l) => l.scopeLogs.flatMap((s) => s.logRecords)),
    )
    expect(records.map((r) => [r.severityText, r.severityNumber, r.body.stringValue])).toEqual([
      ['INFO', 9, 'request'],
      ['WARN', 13, 'no trace here'],
    ])
    const [first, second] = records
    expect(first!.traceId).toBe('0af7651916cd43dd8448eb211c80319c')
    expect(first!.spanId).toBe('b7ad6b7169203331')
    const attrs = Object.fromEntries(
      first!.attributes.map((a) => [a.key, Object.values(a.value)[0]]),
    )
    expect(attrs).toMatchObject({
      requestId: 'req-1',
      route: '/posts',
      service: 'posts',
      detail: '{"a":1}',
    })
    expect(Number(attrs.status)).toBe(201)
    expect(second!.traceId ?? '').toBe('')
  } finally {
    collector.stop(true)
  }
})
