'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const f = require('../lib/format');

test('large numbers use 万 and 亿', () => {
  assert.equal(f.compactNumber(1234), '1234');
  assert.equal(f.compactNumber(12345), '1.2万');
  assert.equal(f.compactNumber(120000), '12万');
  assert.equal(f.compactNumber(234567890), '2.3亿');
  assert.equal(f.compactNumber(-56789), '-5.7万');
  assert.equal(f.compactNumber(3.14159), '3.14');
  assert.equal(f.compactNumber(null), '—');
  assert.equal(f.formatValue(0.8, '%'), '80.0%');
  assert.equal(f.formatValue(23456, '人'), '2.3万人');
  assert.equal(f.axisLabel(0.805, '%'), '80.5%');
  assert.equal(f.axisLabel(150000, '次'), '15万');
});

test('arrows and colour classes follow the delta and the server’s good flag', () => {
  assert.equal(f.arrow(0.01), '↑');
  assert.equal(f.arrow(-3), '↓');
  assert.equal(f.arrow(0), '→');
  assert.equal(f.arrow(null), '');
  assert.equal(f.goodClass(true), 'good');
  assert.equal(f.goodClass(false), 'bad');
  assert.equal(f.goodClass(null), 'neutral');
  // A fall in overdue cases is good news.
  assert.equal(f.goodFromDelta(-3, 'down'), true);
  assert.equal(f.goodFromDelta(3, 'down'), false);
  assert.equal(f.goodFromDelta(3, 'up'), true);
  assert.equal(f.goodFromDelta(0, 'up'), null);
});

test('deltas, percentages, dates', () => {
  assert.equal(f.formatDelta(0.01, '%'), '+1个百分点');
  assert.equal(f.formatDelta(-0.015, '%'), '-1.5个百分点');
  assert.equal(f.formatDelta(-3, '件'), '-3件');
  assert.equal(f.formatDelta(45678, '人'), '+4.6万人');
  assert.equal(f.formatPct(1.26), '+1.3%');
  assert.equal(f.formatPct(null), '—');
  assert.equal(f.formatAttainment(0.82), '82%');
  assert.equal(f.formatAttainment(0.57), '57%');
  assert.equal(f.formatAttainment(0.9996), '99.9%');
  assert.equal(f.formatAttainment(1.0325), '103.2%');
  assert.equal(f.asOfText('2026-11-26'), '数据截至 2026年11月26日');
  assert.equal(f.axisDate('day', '2026-11-26'), '11/26');
  assert.equal(f.axisDate('week', '2026-11-23'), 'W48');
  assert.equal(f.axisDate('quarter', '2026-10-01'), 'Q4');
  assert.equal(f.ago(0, 30 * 1000), '刚刚');
  assert.equal(f.ago(0, 5 * 60 * 1000), '5分钟前');
  assert.equal(f.ago(0, 3 * 86400 * 1000), '3天前');
});

test('a card view marks the move, the rank and the status', () => {
  const v = f.cardView({
    id: 'k1', metric: 'service.overdue_cases', title: '超期办件数', unit: '件', value: 12, display: '12件',
    prev: 15, delta: -3, deltaPct: -20, deltaDisplay: '-3件', comparison: 'prev', direction: 'down', good: true,
    rank: 2, peers: 11, status: 'late',
  });
  assert.equal(v.arrow, '↓');
  assert.equal(v.cls, 'good');
  assert.equal(v.deltaText, '-3件');
  assert.equal(v.deltaPctText, '-20%');
  assert.equal(v.rankText, '第2/11名');
  assert.equal(v.statusText, '数据延迟');
  assert.equal(v.comparisonLabel, '环比');
  assert.equal(v.nodata, false);

  const none = f.cardView({ id: 'k2', title: '访客数', unit: '人', value: null, display: '', delta: null, good: null, status: 'nodata' });
  assert.equal(none.display, '—');
  assert.equal(none.statusText, '暂无数据');
  assert.equal(none.cls, 'neutral');
  assert.ok(none.nodata);

  const target = f.cardView({ id: 'k3', title: '活跃率', unit: '%', value: 0.8, display: '80.0%', comparison: 'target', attainment: 0.82, good: false, status: 'partial' });
  assert.equal(target.deltaText, '完成 82%');
  assert.equal(target.statusText, '数据未完整');
});

test('comparison rows colour 同比 by the metric direction', () => {
  const rows = f.comparisonRows(
    { unit: '件', prev: 15, delta: -3, deltaPct: -20, deltaDisplay: '-3件', good: true, yoyDelta: 4, yoyDeltaPct: 50, target: 10, attainment: 0.8 },
    { unit: '件', precision: 0, direction: 'down' }
  );
  assert.deepEqual(rows.map((r) => r.label), ['上期', '环比', '同比', '目标']);
  assert.equal(rows[0].value, '15件');
  assert.equal(rows[1].value, '↓ -3件');
  assert.equal(rows[1].cls, 'good');
  assert.equal(rows[2].value, '↑ +4件');
  assert.equal(rows[2].cls, 'bad');
  assert.equal(rows[3].change, '完成 80%');
  assert.equal(rows[3].cls, 'bad');
});

test('ranking rows come in rank order', () => {
  const rows = f.rankingRows([
    { org: { id: 2, name: 'B' }, value: 1, display: '1', rank: 2, delta: -1, deltaPct: -5, good: false, drillable: false },
    { org: { id: 1, name: 'A' }, value: 2, display: '2', rank: 1, delta: 1, deltaPct: 5, good: true, drillable: true },
  ]);
  assert.deepEqual(rows.map((r) => [r.id, r.rank, r.cls, r.drillable, r.arrow]), [['1', 1, 'good', true, '↑'], ['2', 2, 'bad', false, '↓']]);
});
