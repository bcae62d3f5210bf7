/**
 * Draws a PlotSpec (harness/src/report/plot-spec.ts) with uPlot: bars for
 * histograms, a step line for CDFs, lines for series; the target as a dashed
 * line labelled with what it asks and whether the run met it.
 */
import uPlot from 'uplot'
import type { PlotSpec } from '../report/plot-spec.ts'

const COLORS = ['#2563eb', '#d97706', '#059669', '#7c3aed', '#dc2626', '#0891b2']

/** A uPlot draw hook that strokes the target line across the plot area. */
function targetLine(spec: PlotSpec) {
  return (u: uPlot) => {
    const t = spec.target
    if (!t) return
    const ctx = u.ctx
    const { left, top, width, height } = u.bbox
    ctx.save()
    ctx.strokeStyle = t.met === false ? '#dc2626' : '#16a34a'
    ctx.setLineDash([6, 4])
    ctx.lineWidth = 2
    ctx.beginPath()
    if (t.axis === 'x') {
      const x = u.valToPos(t.value, 'x', true)
      ctx.moveTo(x, top)
      ctx.lineTo(x, top + height)
    } else {
      const y = u.valToPos(t.value, 'y', true)
      ctx.moveTo(left, y)
      ctx.lineTo(left + width, y)
    }
    ctx.stroke()
    ctx.restore()
  }
}

function scales(spec: PlotSpec): uPlot.Scales {
  const x: uPlot.Scale = { time: spec.time === true }
  const t = spec.target
  // Keep the target in view unless every sample is far below it (the caption still says it).
  const reach = (min: number, max: number): [number, number] => [
    Math.min(min, 0),
    t && t.value <= max * 3 ? Math.max(max, t.value * 1.05) : max,
  ]
  if (t?.axis === 'x') x.range = (_u, min, max) => reach(min, max)
  const window = spec.xWindow
  if (window)
    x.range = (_u, _min, max) => [Math.max(_min, max - window), max > _min ? max : _min + 1]
  const y: uPlot.Scale = t?.axis === 'y' ? { range: (_u, min, max) => reach(min, max) } : {}
  if (spec.kind === 'cdf') y.range = [0, 1]
  return { x, y }
}

function seriesOf(spec: PlotSpec): uPlot.Series[] {
  const bars = uPlot.paths.bars?.({ size: [0.9, 40] })
  const stepped = uPlot.paths.stepped?.({ align: 1 })
  return [
    { label: spec.xLabel },
    ...spec.series.map((label, i) => ({
      label,
      stroke: COLORS[i % COLORS.length],
      width: 2,
      spanGaps: false,
      ...(spec.kind === 'histogram'
        ? { paths: bars, fill: `${COLORS[i % COLORS.length]}88`, points: { show: false } }
        : spec.kind === 'cdf'
          ? { paths: stepped, points: { show: false } }
          : { points: { show: true, size: 5 } }),
    })),
  ]
}

/**
 * Replaces `el`'s content with the chart; returns the uPlot instance (call
 * `setData` to update it live).
 * @example drawPlot(document.querySelector('#p')!, spec, 640)
 */
export function drawPlot(el: HTMLElement, spec: PlotSpec, width = 640, height = 260): uPlot {
  el.replaceChildren()
  const caption = document.createElement('div')
  caption.className = 'plot-target'
  const t = spec.target
  if (t)
    caption.textContent = `target ${t.label}${t.measured ? `: measured ${t.measured}` : ''}${
      t.met === undefined ? '' : t.met ? ' ✓ met' : ' ✗ missed'
    }`
  const host = document.createElement('div')
  el.append(host, caption)
  if (t?.met === false) caption.classList.add('missed')
  return new uPlot(
    {
      title: spec.title,
      width,
      height,
      scales: scales(spec),
      series: seriesOf(spec),
      axes: [{ label: spec.xLabel }, { label: spec.yLabel }],
      legend: { show: spec.series.length > 1 },
      hooks: { draw: [targetLine(spec)] },
    },
    spec.data as uPlot.AlignedData,
    host,
  )
}
