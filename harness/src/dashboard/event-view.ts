/**
 * The dashboard's Events page: events per second per topic (from the topics'
 * high watermarks between two readings), the feed's propagation delay p50, p95
 * and p99 over a sliding window (from its `feed_propagation_delay_seconds`
 * histogram, as Prometheus' histogram_quantile would compute it), and the
 * latest dead-lettered events with the reason their consumer gave up.
 */
import type { KafkaInspector, TopicInfo } from '@civildiy/kit'
import { type PlotSpec, seriesPlot } from '../report/plot-spec.ts'
import { type Buckets, windowedHistogram } from './histogram-window.ts'
import { parsePrometheusText } from './prometheus-text.ts'
import { unsampled } from './stack-view.ts'

export interface DeadLetter {
  topic: string
  sourceTopic: string
  reason: string
  key: string | null
  time: string
  /** The event's CloudEvents type and id, when the value parses as one. */
  type: string | null
  id: string | null
}

export interface EventsSnapshot {
  at: number
  rates: PlotSpec
  propagation: PlotSpec
  /** Propagation observations in the current window. */
  propagationCount: number
  deadLetters: DeadLetter[]
  /** Why a part is missing (a feed instance that did not answer, Kafka down). */
  notes: string[]
}

const HISTORY = 300
const QUANTILES = [0.5, 0.95, 0.99]

/** The propagation histogram's buckets summed over every instance's reading. */
export function propagationBuckets(metricsTexts: string[]): Buckets {
  const buckets: Buckets = new Map()
  for (const text of metricsTexts)
    for (const s of parsePrometheusText(text))
      if (s.name === 'feed_propagation_delay_seconds_bucket') {
        const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le)
        buckets.set(le, (buckets.get(le) ?? 0) + s.value)
      }
  return buckets
}

function deadLetterOf(topic: string, m: Awaited<ReturnType<KafkaInspector['tail']>>[number]) {
  let event: { type?: unknown; id?: unknown } = {}
  try {
    event = JSON.parse(m.value) as typeof event
  } catch {
    // Not JSON: an unreadable event, which is why it was dead-lettered.
  }
  return {
    topic,
    sourceTopic: m.headers['x-dlq-source-topic'] ?? '',
    reason: m.headers['x-dlq-reason'] ?? '',
    key: m.key,
    time: m.timestamp,
    type: typeof event.type === 'string' ? event.type : null,
    id: typeof event.id === 'string' ? event.id : null,
  }
}

export interface EventView {
  /** Takes one reading: topics from the topology, metrics from the feed instances. */
  update(topics: TopicInfo[], feedUrls: string[]): Promise<void>
  snapshot(): EventsSnapshot
}

/**
 * @param windowMs the propagation window. Default 60 s.
 * @example const events = createEventView(inspector); await events.update(topology.topics, feedUrls)
 */
export function createEventView(kafka: KafkaInspector | null, windowMs = 60_000): EventView {
  const rateRows: { at: number; rates: Map<string, number> }[] = []
  let topicNames: string[] = []
  let previous: { at: number; messages: Map<string, number> } | null = null
  const propagation = windowedHistogram(windowMs)
  const propagationRows: (number | null)[][] = []
  let propagationCount = 0
  const deadLetters = new Map<string, { messages: number; letters: DeadLetter[] }>()
  let notes: string[] = []

  const readRates = (at: number, topics: TopicInfo[]) => {
    const messages = new Map(topics.map((t) => [t.name, t.messages]))
    topicNames = [...new Set([...topicNames, ...messages.keys()])].sort()
    if (previous) {
      const dt = (at - previous.at) / 1000
      const prev = previous.messages
      const rates = new Map<string, number>()
      if (dt > 0)
        for (const [n, count] of messages)
          rates.set(n, Math.round((Math.max(0, count - (prev.get(n) ?? 0)) / dt) * 100) / 100)
      rateRows.push({ at: at / 1000, rates })
      if (rateRows.length > HISTORY) rateRows.shift()
    }
    previous = { at, messages }
  }
  const readPropagation = async (at: number, feedUrls: string[]) => {
    const texts = await Promise.all(
      feedUrls.map((u) =>
        fetch(`${u}/metrics`, { signal: AbortSignal.timeout(1_500), headers: unsampled() })
          .then((r) => (r.ok ? r.text() : ''))
          .catch(() => {
            notes.push(`${u}/metrics did not answer`)
            return ''
          }),
      ),
    )
    if (!propagation.add(at, propagationBuckets(texts))) return
    const q = propagation.quantiles(QUANTILES)
    if (!q) return
    propagationCount = q.count
    propagationRows.push([at / 1000, ...q.values.map((v) => Math.round(v * 1e6) / 1e3)])
    if (propagationRows.length > HISTORY) propagationRows.shift()
  }
  const readDeadLetters = async (topics: TopicInfo[]) => {
    for (const t of topics.filter((x) => x.name.endsWith('.dlq'))) {
      const known = deadLetters.get(t.name)
      if (!kafka || known?.messages === t.messages) continue
      const tail = await kafka.tail(t, 50).catch(() => null)
      if (tail)
        deadLetters.set(t.name, {
          messages: t.messages,
          letters: tail.map((m) => deadLetterOf(t.name, m)),
        })
    }
  }
  return {
    async update(topics, feedUrls) {
      const at = Date.now()
      notes = []
      readRates(at, topics)
      await Promise.all([readPropagation(at, feedUrls), readDeadLetters(topics)])
    },
    snapshot: () => ({
      at: Date.now(),
      rates: seriesPlot(
        'Events per second, by topic',
        'time',
        'events/s',
        topicNames,
        rateRows.map((r) => [r.at, ...topicNames.map((n) => r.rates.get(n) ?? null)]),
        { time: true, xWindow: 300 },
      ),
      propagation: seriesPlot(
        `Feed propagation delay over the last ${windowMs / 1000} s`,
        'time',
        'ms',
        ['p50', 'p95', 'p99'],
        propagationRows,
        { time: true, xWindow: 300 },
      ),
      propagationCount,
      deadLetters: [...deadLetters.values()]
        .flatMap((d) => d.letters)
        .sort((a, b) => b.time.localeCompare(a.time)),
      notes,
    }),
  }
}
