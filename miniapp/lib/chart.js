'use strict';
// Trend chart geometry from a series, and drawing it on a canvas context. The geometry is pure
// (tested directly); `draw` only replays it on whatever context it is given.

const format = require('./format');

// "Nice" tick step for a range: 1, 2 or 5 times a power of ten.
function niceStep(range, count) {
  const raw = range / Math.max(1, count);
  const pow = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / pow;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nice * pow;
}

// The y range and ticks covering the values, starting at zero when all values are positive and
// zero is not far away (so bars of volume are not exaggerated), otherwise hugging the data.
function yScale(values, tickCount) {
  const n = tickCount || 4;
  let lo = Math.min.apply(null, values);
  let hi = Math.max.apply(null, values);
  if (lo >= 0 && lo < (hi - lo) * 2) lo = 0;
  if (hi === lo) {
    const pad = hi === 0 ? 1 : Math.abs(hi) * 0.1;
    hi += pad;
    lo = lo === 0 ? 0 : lo - pad;
  }
  const step = niceStep(hi - lo, n);
  const min = Math.floor(lo / step) * step;
  const max = Math.ceil(hi / step) * step;
  const ticks = [];
  for (let v = min, i = 0; v <= max + step / 2 && i < 20; v += step, i++) ticks.push(+v.toPrecision(12));
  return { min, max, ticks };
}

// Chart geometry: the line in segments (a null value breaks the line), the dots, and the axis
// labels, in canvas pixels.
function computeChart(points, opts) {
  const o = Object.assign({ width: 320, height: 180, padLeft: 44, padRight: 12, padTop: 12, padBottom: 24, unit: '', grain: 'day', maxXLabels: 6 }, opts);
  const plot = { left: o.padLeft, top: o.padTop, right: o.width - o.padRight, bottom: o.height - o.padBottom };
  const pts = points || [];
  const values = pts.map((p) => p.value).filter((v) => v !== null && v !== undefined && isFinite(v));
  const chart = { width: o.width, height: o.height, plot, segments: [], dots: [], xLabels: [], yLabels: [], empty: values.length === 0, last: null };
  if (chart.empty) return chart;

  const scale = yScale(values, 4);
  chart.min = scale.min;
  chart.max = scale.max;
  const w = plot.right - plot.left;
  const h = plot.bottom - plot.top;
  const x = (i) => (pts.length === 1 ? plot.left + w / 2 : plot.left + (w * i) / (pts.length - 1));
  const y = (v) => plot.bottom - ((v - scale.min) / (scale.max - scale.min)) * h;

  let seg = [];
  pts.forEach((p, i) => {
    const v = p.value;
    if (v === null || v === undefined || !isFinite(v)) {
      if (seg.length) chart.segments.push(seg);
      seg = [];
      return;
    }
    const pt = { x: round(x(i)), y: round(y(v)), value: v, label: p.label || format.axisDate(o.grain, p.start), display: p.display || format.formatValue(v, o.unit) };
    seg.push(pt);
    chart.dots.push(pt);
  });
  if (seg.length) chart.segments.push(seg);
  chart.last = chart.dots[chart.dots.length - 1];

  chart.yLabels = scale.ticks.map((v) => ({ y: round(y(v)), text: format.axisLabel(v, o.unit) }));
  chart.xLabels = xLabelIndices(pts.length, o.maxXLabels).map((i) => ({ x: round(x(i)), text: format.axisDate(o.grain, pts[i].start) }));
  return chart;
}

// At most `max` evenly spaced indices, always including the first and the last.
function xLabelIndices(n, max) {
  if (n === 0) return [];
  const every = Math.max(1, Math.ceil(n / max));
  const out = [];
  for (let i = 0; i < n; i += every) out.push(i);
  const last = n - 1;
  if (out[out.length - 1] !== last) {
    if (out.length > 1 && last - out[out.length - 1] < every / 2) out.pop();
    out.push(last);
  }
  return out;
}

function round(v) {
  return Math.round(v * 10) / 10;
}

// The colours of the line: green when the latest move is favourable, red when not.
const THEME = { good: '#1a9f5c', bad: '#d9363e', neutral: '#3370ff', grid: '#ebedf0', text: '#8f959e' };

// Replays a computed chart on a DingTalk canvas context (dd.createCanvasContext).
function draw(ctx, chart, cls) {
  const color = THEME[cls] || THEME.neutral;
  const p = chart.plot;
  ctx.clearRect(0, 0, chart.width, chart.height);
  ctx.setFontSize(10);
  ctx.setLineWidth(1);
  ctx.setStrokeStyle(THEME.grid);
  ctx.setFillStyle(THEME.text);
  ctx.setTextAlign('right');
  chart.yLabels.forEach((t) => {
    ctx.beginPath();
    ctx.moveTo(p.left, t.y);
    ctx.lineTo(p.right, t.y);
    ctx.stroke();
    ctx.fillText(t.text, p.left - 4, t.y + 3);
  });
  ctx.setTextAlign('center');
  chart.xLabels.forEach((t) => ctx.fillText(t.text, t.x, chart.height - 6));
  ctx.setStrokeStyle(color);
  ctx.setLineWidth(2);
  chart.segments.forEach((seg) => {
    ctx.beginPath();
    seg.forEach((pt, i) => (i === 0 ? ctx.moveTo(pt.x, pt.y) : ctx.lineTo(pt.x, pt.y)));
    ctx.stroke();
  });
  ctx.setFillStyle(color);
  chart.dots.forEach((pt) => {
    ctx.beginPath();
    ctx.arc(pt.x, pt.y, pt === chart.last ? 3.5 : 2, 0, 2 * Math.PI);
    ctx.fill();
  });
  ctx.draw();
}

module.exports = { computeChart, yScale, niceStep, xLabelIndices, draw, THEME };
