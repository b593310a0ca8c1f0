'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const chart = require('../lib/chart');

const pts = (values) => values.map((v, i) => ({ start: '2026-11-' + String(20 + i).padStart(2, '0'), value: v }));

test('a null value breaks the line into segments', () => {
  const c = chart.computeChart(pts([0.7, 0.72, null, 0.76, 0.78]), { width: 300, height: 160, unit: '%' });
  assert.equal(c.segments.length, 2);
  assert.deepEqual(c.segments.map((s) => s.length), [2, 2]);
  assert.equal(c.dots.length, 4);
  assert.equal(c.last.value, 0.78);
  assert.equal(c.segments[0][0].x, c.plot.left);
  assert.equal(c.last.x, c.plot.right);
  // Higher values are drawn higher up.
  assert.ok(c.last.y < c.segments[0][0].y);
  assert.ok(c.dots.every((d) => d.y >= c.plot.top && d.y <= c.plot.bottom));
  assert.ok(c.yLabels.every((t) => /%$/.test(t.text)));
  assert.equal(c.xLabels[0].text, '11/20');
});

test('counts start at zero and use 万 on the axis', () => {
  const c = chart.computeChart(pts([60000, 150000, 180000]), { unit: '人' });
  assert.equal(c.min, 0);
  assert.equal(c.yLabels[0].text, '0');
  assert.ok(c.yLabels.some((t) => /万$/.test(t.text)));
});

test('an all-null or empty series is empty; a flat one still has a range', () => {
  assert.equal(chart.computeChart(pts([null, null])).empty, true);
  assert.equal(chart.computeChart([]).empty, true);
  const flat = chart.computeChart(pts([5, 5, 5]));
  assert.ok(flat.max > flat.min);
  const single = chart.computeChart(pts([5]), { width: 200, padLeft: 40, padRight: 0 });
  assert.equal(single.dots[0].x, 120);
});

test('x labels are thinned but keep the first and the last', () => {
  assert.deepEqual(chart.xLabelIndices(5, 6), [0, 1, 2, 3, 4]);
  const many = chart.xLabelIndices(30, 6);
  assert.equal(many[0], 0);
  assert.equal(many[many.length - 1], 29);
  assert.ok(many.length <= 7);
});

test('draw replays the geometry on a canvas context in the move’s colour', () => {
  const ops = [];
  const ctx = new Proxy({}, { get: (_, name) => (...args) => ops.push([name].concat(args)) });
  const c = chart.computeChart(pts([1, 2, 3]), { unit: '件' });
  chart.draw(ctx, c, 'bad');
  assert.ok(ops.some((o) => o[0] === 'setStrokeStyle' && o[1] === chart.THEME.bad));
  assert.equal(ops.filter((o) => o[0] === 'arc').length, 3);
  assert.deepEqual(ops[ops.length - 1], ['draw']);
});
