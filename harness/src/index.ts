/**
 * @civildiy/harness as a library: the pieces benchmarks reuse (tables and
 * percentiles, HTML reports and their charts, the API client, propagation timing, the real data sets). The
 * commands are in cli.ts. No side effects on import.
 */
export { pageBack } from './check/page-back.ts'
export {
  measurePropagation,
  type PlannedPost,
  type PropagationResult,
} from './check/propagation.ts'
export { type Session, stackClient } from './client/stack-client.ts'
export { positiveNumber } from './command-args.ts'
export { defaultDataDir, densestSubgraph, loadDataset } from './replay/dataset.ts'
export { planPosts, seededRandom } from './replay/replay.ts'
export { type HtmlReportInput, htmlReport, type ReportSection } from './report/html-report.ts'
export { feedReadFigures, p99Target, propagationFigures } from './report/latency-figures.ts'
export {
  cdfPlot,
  histogramPlot,
  type PlotSpec,
  ratePoints,
  seriesPlot,
} from './report/plot-spec.ts'
export { fmt, markdownTable, ratio, type Summary, summarize } from './report/stats.ts'
export {
  type OtlpReceiver,
  type StoredSpan,
  startOtlpReceiver,
  type TraceSummary,
} from './traces/otlp-receiver.ts'
