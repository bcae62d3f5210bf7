/**
 * prom-client's classes, loaded from their own files. The package's index also
 * loads its Pushgateway (node:http, node:https, node:zlib) and its cluster
 * aggregator, which no service uses: in a production build that was about 26 ms of
 * module evaluation against about 15 ms for these files (timed on 2026-12-03 on
 * the 2-core benchmark machine; `bun bench/services.ts` measures whole start-ups).
 * prom-client 15 has no `exports` map, so these are public paths of the package;
 * kit/package.json pins its version so they cannot move under us, and the types are
 * the package's own.
 */
import type * as Prom from 'prom-client'
import CounterClass from 'prom-client/lib/counter.js'
import collectDefaults from 'prom-client/lib/defaultMetrics.js'
import GaugeClass from 'prom-client/lib/gauge.js'
import HistogramClass from 'prom-client/lib/histogram.js'
import RegistryClass from 'prom-client/lib/registry.js'

export const Registry = RegistryClass as unknown as typeof Prom.Registry
export const Counter = CounterClass as unknown as typeof Prom.Counter
export const Gauge = GaugeClass as unknown as typeof Prom.Gauge
export const Histogram = HistogramClass as unknown as typeof Prom.Histogram
export const collectDefaultMetrics = collectDefaults as unknown as typeof Prom.collectDefaultMetrics
