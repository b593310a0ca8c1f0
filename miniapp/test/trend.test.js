'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const trend = require('../lib/trend');

// A stand-in for F2 that records the chart it is asked to build.
function recordingF2() {
  const calls = [];
  const geom = (kind) => {
    const g = { kind, calls: [] };
    ['position', 'color', 'shape', 'size'].forEach((m) => (g[m] = (...a) => (g.calls.push([m, ...a]), g)));
    return g;
  };
  class Chart {
    constructor(config) {
      this.config = config;
      this.geoms = [];
      calls.push(this);
    }
    source(rows, scales) {
      this.rows = rows;
      this.scales = scales;
    }
    axis(field, opts) {
      (this.axes = this.axes || {})[field] = opts;
    }
    legend(opts) {
      this.legendOpts = opts;
    }
    tooltip(opts) {
      this.tooltipOpts = opts;
    }
    line(opts) {
      const g = geom('line');
      g.opts = opts;
      this.geoms.push(g);
      return g;
    }
    point() {
      const g = geom('point');
      this.geoms.push(g);
      return g;
    }
    render() {
      this.rendered = true;
    }
  }
  return { Chart, calls };
}

const POINTS = [
  { start: '2026-11-18', label: '11月18日', value: 18000 },
  { start: '2026-11-19', label: '11月19日', value: null },
  { start: '2026-11-20', label: '11月20日', value: 24000 },
];

test('rows hold this period and last year as two series, gaps kept as nulls', () => {
  const rows = trend.trendRows(POINTS, [15000, 16000, null]);
  assert.deepEqual(
    rows.map((r) => [r.x, r.s, r.v]),
    [
      ['11月18日', '本期', 18000],
      ['11月18日', '去年同期', 15000],
      ['11月19日', '本期', null],
      ['11月19日', '去年同期', 16000],
      ['11月20日', '本期', 24000],
      ['11月20日', '去年同期', null],
    ]
  );
  assert.equal(trend.trendRows(POINTS, null).length, 3);
});

test('the chart has axes in the unit, a dashed last-year line, a legend and a touch tooltip', () => {
  const F2 = recordingF2();
  const config = { context: {}, width: 320, height: 180, pixelRatio: 2 };
  const chart = trend.renderTrend(F2, config, { points: POINTS, lastYear: [15000, 16000, null], unit: '条', precision: 0, cls: 'good' });
  assert.ok(chart.rendered);
  assert.equal(chart.config.width, 320);
  assert.equal(chart.scales.v.formatter(24000), '2.4万');
  assert.deepEqual(chart.legendOpts, { position: 'top', align: 'right' });
  assert.equal(chart.tooltipOpts.showCrosshairs, true);
  const line = chart.geoms.find((g) => g.kind === 'line');
  assert.deepEqual(line.opts, { connectNulls: false });
  const shape = line.calls.find((c) => c[0] === 'shape')[2];
  assert.equal(shape('本期'), 'line');
  assert.equal(shape('去年同期'), 'dash');
  const color = line.calls.find((c) => c[0] === 'color')[2];
  assert.equal(color('本期'), '#1a9f5c', 'the favourable colour');
  // The tooltip words values as the cards do.
  const ev = { items: [{ name: '本期', value: '24000', origin: { v: 24000 } }, { name: '去年同期', value: '15000', origin: { v: 15000 } }] };
  chart.tooltipOpts.onShow(ev);
  assert.deepEqual(ev.items.map((i) => i.value), ['2.4万条', '1.5万条']);
});

test('without last year there is no legend, and rates read as percentages', () => {
  const F2 = recordingF2();
  const chart = trend.renderTrend(F2, {}, { points: [{ label: 'a', value: 0.8 }], lastYear: [null], unit: '%', precision: 1 });
  assert.equal(chart.legendOpts, false);
  assert.equal(chart.scales.v.formatter(0.805), '80.5%');
});

test('the vendored F2 draws it: period labels, 万 on the axis, both series in the legend', () => {
  const F2 = require('../vendor/f2/f2.min.js');
  const adapt = require('../vendor/f2/context-my.js').default;
  // A DingTalk canvas context that records what is drawn.
  const ops = [];
  const ctx = new Proxy(
    {},
    {
      get(t, k) {
        if (k in t) return t[k];
        return (...a) => {
          ops.push([k, ...a]);
          return k === 'measureText' ? { width: 10 } : undefined;
        };
      },
      set(t, k, v) {
        t[k] = v;
        return true;
      },
    }
  );
  trend.renderTrend(F2, { context: adapt(ctx), width: 320, height: 180, pixelRatio: 2 }, {
    points: POINTS,
    lastYear: [15000, 16000, null],
    unit: '条',
    precision: 0,
    cls: 'good',
  });
  const texts = ops.filter((o) => o[0] === 'fillText').map((o) => o[1]);
  for (const t of ['11月18日', '11月20日', '2.4万', '本期', '去年同期']) assert.ok(texts.includes(t), t + ' in ' + texts.join(' | '));
  assert.equal(ops.filter((o) => o[0] === 'draw').length, 1, 'one draw call');
});
