'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const f = require('../lib/format');

const cases = require('./wording-cases.json');

test('the shared wording cases read as the server writes them', () => {
  for (const [v, unit, p, want] of cases.display) assert.equal(f.formatValue(v, unit, p), want, JSON.stringify([v, unit, p]));
  for (const [d, pct, unit, p, want] of cases.change) assert.equal(f.formatChange(d, pct, unit, p), want, JSON.stringify([d, pct, unit]));
});

test('large numbers use 万 and 亿 with at most one decimal', () => {
  assert.equal(f.compactNumber(1234), '1234');
  assert.equal(f.compactNumber(12345), '1.2万');
  assert.equal(f.compactNumber(120000), '12万');
  assert.equal(f.compactNumber(234567890), '2.3亿');
  assert.equal(f.compactNumber(-56789), '-5.7万');
  assert.equal(f.compactNumber(3.14159), '3.14');
  assert.equal(f.compactNumber(null), '—');
  assert.equal(f.formatValue(0.8, '%'), '80.0%');
  assert.equal(f.formatValue(23456, '人'), '2.3万人');
  assert.equal(f.formatValue(81000, '件', 0), '8.1万件');
  assert.equal(f.axisLabel(0.805, '%'), '80.5%');
  assert.equal(f.axisLabel(150000, '次'), '15万');
});

test('a change has one sign, and no colour when it rounds to zero', () => {
  assert.equal(f.arrow(0.01), '↑');
  assert.equal(f.arrow(-3), '↓');
  assert.equal(f.arrow(0), '');
  assert.equal(f.goodClass(true), 'good');
  assert.equal(f.goodClass(false), 'bad');
  assert.equal(f.goodClass(null), 'neutral');
  assert.equal(f.goodClass(true, '持平'), 'neutral');
  // A fall in overdue cases is good news.
  assert.equal(f.goodFromDelta(-3, 'down'), true);
  assert.equal(f.goodFromDelta(3, 'down'), false);
  assert.equal(f.goodFromDelta(0, 'up'), null);
  assert.equal(f.formatDelta(0.01, '%'), '↑1.0个百分点');
  assert.equal(f.formatDelta(-3, '件'), '↓3件');
  assert.equal(f.formatPct(1.26), '↑1.3%');
  assert.equal(f.formatPct(0.01), '持平');
  assert.equal(f.formatPct(null), '—');
  for (const text of [f.formatDelta(-0.478, '%'), f.formatPct(-12), f.formatDelta(-27780, '件')]) {
    assert.ok(!/[+-]/.test(text), text);
  }
});

test('attainment, dates', () => {
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

test('a card view shows the server’s change, the rank, the status and the sparkline', () => {
  const v = f.cardView({
    id: 'k1', metric: 'service.overdue_cases', title: '超期办件数', unit: '件', value: 12, display: '12件',
    prev: 15, delta: -3, deltaPct: -20, deltaDisplay: '↓20.0%', comparison: 'prev', direction: 'down', good: true,
    rank: 2, peers: 11, status: 'late', spark: [10, null, 15, 12],
  });
  assert.equal(v.cls, 'good');
  assert.equal(v.deltaText, '↓20.0%');
  assert.equal(v.arrow, '');
  assert.equal(v.rankText, '第2/11名');
  assert.equal(v.statusText, '数据延迟');
  assert.equal(v.comparisonLabel, '环比');
  assert.equal(v.nodata, false);
  assert.ok(v.hasSpark);

  const flat = f.cardView({ id: 'k4', title: '活跃率', unit: '%', value: 0.5, display: '50.0%', delta: 0, deltaDisplay: '持平', comparison: 'prev', good: true, status: 'ok' });
  assert.equal(flat.cls, 'neutral');

  // 同比 reads as on the briefing: relative, from the server.
  const yoy = f.cardView({ id: 'k5', title: '办结量', unit: '件', value: 470, display: '470件', yoyDelta: -2778, yoyDeltaPct: -85.5, yoyDisplay: '↓85.5%', comparison: 'yoy', good: false, status: 'ok' });
  assert.equal(yoy.deltaText, '↓85.5%');
  assert.equal(yoy.comparisonLabel, '同比');

  const partialBase = f.cardView({ id: 'k6', title: '办结量', unit: '件', value: 470, display: '470件', yoyMissing: 'partial', comparison: 'yoy', good: null, status: 'ok' });
  assert.equal(partialBase.deltaText, '上年同期数据不完整，不作比较');

  const none = f.cardView({ id: 'k2', title: '访客数', unit: '人', value: null, display: '', delta: null, good: null, status: 'nodata' });
  assert.equal(none.display, '—');
  assert.equal(none.statusText, '暂无数据');
  assert.equal(none.cls, 'neutral');
  assert.ok(none.nodata);
  assert.ok(!none.hasSpark);

  const target = f.cardView({ id: 'k3', title: '活跃率', unit: '%', value: 0.8, display: '80.0%', comparison: 'target', attainment: 0.82, good: false, status: 'partial' });
  assert.equal(target.deltaText, '完成 82%');
  assert.equal(target.statusText, '数据未完整');
});

test('comparison rows use the server’s words and say which day is compared with', () => {
  const rows = f.comparisonRows(
    { unit: '件', prev: 15, prevLabel: '11月13日', delta: -3, deltaPct: -20, deltaDisplay: '↓20.0%', comparison: 'prev', good: true, yoyDelta: 4, yoyDeltaPct: 50, yoyDisplay: '↑50.0%', target: 10, attainment: 0.8 },
    { unit: '件', precision: 0, direction: 'down' }
  );
  assert.deepEqual(rows.map((r) => r.label), ['上期（11月13日）', '环比', '同比', '目标']);
  assert.equal(rows[0].value, '15件');
  assert.equal(rows[1].value, '↓20.0%');
  assert.equal(rows[1].cls, 'good');
  assert.equal(rows[2].value, '↑50.0%');
  assert.equal(rows[2].cls, 'bad');
  assert.equal(rows[3].change, '完成 80%');
  assert.equal(rows[3].cls, 'bad');
  const monday = f.comparisonRows({ unit: '件', yoyLabel: '2025年12月1日', yoyDisplay: '↑3.0%', comparison: 'yoy' }, null);
  assert.equal(monday.find((r) => r.key === 'yoy').label, '同比（较2025年12月1日）');
});

test('ranking rows keep the server’s order (the order toggle)', () => {
  const items = [
    { org: { id: 2, name: 'B' }, value: 1, display: '1件', rank: 2, delta: -1, deltaPct: -5, deltaDisplay: '↓5.0%', good: false, drillable: false },
    { org: { id: 1, name: 'A' }, value: 2, display: '2件', rank: 1, delta: 1, deltaPct: 5, deltaDisplay: '↑5.0%', good: true, drillable: true },
  ];
  const rows = f.rankingRows(items);
  assert.deepEqual(rows.map((r) => [r.id, r.rank, r.cls, r.drillable, r.change]), [['2', 2, 'bad', false, '↓5.0%'], ['1', 1, 'good', true, '↑5.0%']]);
});

test('sparklines are bars scaled to their range, with gaps', () => {
  const bars = f.sparkBars([10, null, 20, 15]);
  assert.deepEqual(bars.map((b) => b.h), [8, 0, 100, 54]);
  assert.deepEqual(bars.map((b) => b.empty), [false, true, false, false]);
  assert.equal(bars[3].last, true);
  assert.deepEqual(f.sparkBars([5, 5]).map((b) => b.h), [60, 60]);
  assert.deepEqual(f.sparkBars([null]), []);
});
