'use strict';
// The metric page's trend as an F2 chart: this period's line, last year's as a dashed
// comparison line, axes in the metric's unit (万/亿, %), and a touch tooltip with the values as
// the cards word them. Pure but for the F2 calls, so node tests drive it with a recording F2.

const format = require('./format');

const COLORS = { good: '#1a9f5c', bad: '#d9363e', neutral: '#3370ff' };
const LAST_YEAR_COLOR = '#b8bcc4';
const NOW = '本期';
const LAST_YEAR = '去年同期';

// The rows F2 plots: one a point of each line, gaps left out (F2 joins what it is given,
// `connectNulls` off keeps a gap where a value is null).
function trendRows(points, lastYear) {
  const rows = [];
  (points || []).forEach((p, i) => {
    const x = p.label || p.start;
    rows.push({ x, v: p.value === undefined ? null : p.value, s: NOW });
    const ly = lastYear ? lastYear[i] : undefined;
    if (ly !== undefined) rows.push({ x, v: ly, s: LAST_YEAR });
  });
  return rows;
}

function hasValues(rows, series) {
  return rows.some((r) => r.s === series && r.v !== null && r.v !== undefined);
}

// Builds the chart on an F2 config (from the f2 component) and renders it.
function renderTrend(F2, config, model) {
  const m = model || {};
  const unit = m.unit || '';
  const rows = trendRows(m.points, m.lastYear);
  const chart = new F2.Chart(Object.assign({ padding: ['auto', 'auto', 'auto', 'auto'] }, config));
  chart.source(rows, {
    x: { type: 'cat', tickCount: 5, range: [0, 1] },
    v: { tickCount: 4, nice: true, formatter: (v) => format.axisLabel(v, unit) },
  });
  chart.axis('x', { label: { fontSize: 10 } });
  chart.axis('v', { label: { fontSize: 10 }, grid: { stroke: '#ebedf0' } });
  chart.legend(hasValues(rows, LAST_YEAR) ? { position: 'top', align: 'right' } : false);
  chart.tooltip({
    showCrosshairs: true,
    showItemMarker: true,
    onShow(ev) {
      (ev.items || []).forEach((item) => {
        item.value = format.formatValue(item.origin ? item.origin.v : Number(item.value), unit, m.precision);
      });
    },
  });
  const color = COLORS[m.cls] || COLORS.neutral;
  chart.line({ connectNulls: false }).position('x*v').color('s', (s) => (s === NOW ? color : LAST_YEAR_COLOR)).shape('s', (s) => (s === NOW ? 'line' : 'dash'));
  chart.point().position('x*v').color('s', (s) => (s === NOW ? color : LAST_YEAR_COLOR)).size('s', (s) => (s === NOW ? 2.5 : 0));
  chart.render();
  return chart;
}

module.exports = { trendRows, renderTrend, NOW, LAST_YEAR };
