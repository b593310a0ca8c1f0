'use strict';
// Formatting the UI needs beyond the server's own `display` strings: arrows, colour classes,
// 万/亿 for chart axes, status badges and date labels. No I/O, no page code.

const period = require('./period');

// A number with at most `digits` decimals, trailing zeros removed.
function trimFixed(v, digits) {
  const s = v.toFixed(digits);
  return s.indexOf('.') >= 0 ? s.replace(/\.?0+$/, '') : s;
}

// A compact number for Chinese readers: 1.2万, 3.4亿.
function compactNumber(v, digits) {
  if (v === null || v === undefined || !isFinite(v)) return '—';
  const d = digits === undefined ? 1 : digits;
  const abs = Math.abs(v);
  if (abs >= 1e8) return trimFixed(v / 1e8, d) + '亿';
  if (abs >= 1e4) return trimFixed(v / 1e4, d) + '万';
  return trimFixed(v, abs >= 100 ? 0 : d + 1);
}

// A value in the metric's unit; rates are fractions (0.8 → 80.0%).
function formatValue(v, unit, precision) {
  if (v === null || v === undefined || !isFinite(v)) return '—';
  if (unit === '%') return (v * 100).toFixed(precision === undefined ? 1 : precision) + '%';
  const n = compactNumber(v, precision === undefined ? 1 : precision);
  return unit ? n + unit : n;
}

// Axis label: short, no unit except % (the unit is shown once beside the chart).
function axisLabel(v, unit) {
  if (unit === '%') return trimFixed(v * 100, 1) + '%';
  return compactNumber(v, 1);
}

function arrow(delta) {
  if (delta === null || delta === undefined || !isFinite(delta)) return '';
  if (delta > 0) return '↑';
  if (delta < 0) return '↓';
  return '→';
}

// The colour class of a move: green when favourable, red when not, grey when neutral or
// unknown. `good` comes from the server, which knows the metric's direction.
function goodClass(good) {
  if (good === true) return 'good';
  if (good === false) return 'bad';
  return 'neutral';
}

// `good` from a delta and the metric's direction, for places the server gives none.
function goodFromDelta(delta, direction) {
  if (delta === null || delta === undefined || delta === 0 || !direction) return null;
  return direction === 'down' ? delta < 0 : delta > 0;
}

function signed(v, digits) {
  const s = trimFixed(Math.abs(v), digits);
  return (v > 0 ? '+' : v < 0 ? '-' : '') + s;
}

// A change shown when the server sent no deltaDisplay.
function formatDelta(delta, unit) {
  if (delta === null || delta === undefined || !isFinite(delta)) return '—';
  if (unit === '%') return signed(delta * 100, 1) + '个百分点';
  const abs = Math.abs(delta);
  const body = abs >= 1e4 ? compactNumber(abs, 1) : trimFixed(abs, 2);
  return (delta > 0 ? '+' : delta < 0 ? '-' : '') + body + (unit || '');
}

function formatPct(pct) {
  if (pct === null || pct === undefined || !isFinite(pct)) return '—';
  return signed(pct, 1) + '%';
}

// Cut to one decimal, not rounded, so that a shortfall never reads as the target
// (0.9996 is 99.9%, not 100%); the same rule as the server's briefing.
function formatAttainment(a) {
  if (a === null || a === undefined || !isFinite(a)) return '—';
  return trimFixed(Math.floor(a * 1000 + 1e-6) / 10, 1) + '%';
}

const STATUS = {
  ok: { text: '', cls: '' },
  partial: { text: '数据未完整', cls: 'badge-partial' },
  late: { text: '数据延迟', cls: 'badge-late' },
  nodata: { text: '暂无数据', cls: 'badge-nodata' },
};

function statusBadge(status) {
  return STATUS[status] || STATUS.ok;
}

// '2026-11-26' → '2026年11月26日'.
function dateLong(date) {
  if (!period.isDate(date)) return date || '';
  const [y, m, d] = date.split('-').map(Number);
  return y + '年' + m + '月' + d + '日';
}

function asOfText(asOf) {
  return asOf ? '数据截至 ' + dateLong(asOf) : '';
}

// A short x-axis label for a period start.
function axisDate(grain, start) {
  if (!period.isDate(start)) return start || '';
  const [y, m, d] = start.split('-').map(Number);
  switch (grain) {
    case 'day':
      return m + '/' + d;
    case 'week':
      return 'W' + period.isoWeek(start).week;
    case 'month':
      return m + '月';
    case 'quarter':
      return 'Q' + (Math.floor((m - 1) / 3) + 1);
    default:
      return String(y);
  }
}

// '刚刚', '5分钟前', '3小时前', or a date: how old cached data is.
function ago(thenMs, nowMs) {
  const s = Math.max(0, Math.floor((nowMs - thenMs) / 1000));
  if (s < 60) return '刚刚';
  if (s < 3600) return Math.floor(s / 60) + '分钟前';
  if (s < 86400) return Math.floor(s / 3600) + '小时前';
  return Math.floor(s / 86400) + '天前';
}

const COMPARISON_LABELS = { prev: '环比', yoy: '同比', target: '目标' };

function comparisonLabel(c) {
  return COMPARISON_LABELS[c] || '环比';
}

// The view model of one card for the home grid and the detail header.
function cardView(card) {
  const badge = statusBadge(card.status);
  const moveDelta = card.comparison === 'yoy' ? card.yoyDelta : card.delta;
  const movePct = card.comparison === 'yoy' ? card.yoyDeltaPct : card.deltaPct;
  let deltaText = card.comparison === 'yoy' ? formatDelta(card.yoyDelta, card.unit) : card.deltaDisplay;
  if (!deltaText) deltaText = formatDelta(card.delta, card.unit);
  return {
    id: card.id,
    metric: card.metric,
    title: card.title,
    unit: card.unit || '',
    display: card.display || (card.status === 'nodata' ? '—' : formatValue(card.value, card.unit)),
    comparisonLabel: comparisonLabel(card.comparison),
    arrow: card.comparison === 'target' ? '' : arrow(moveDelta),
    deltaText: card.comparison === 'target' ? '完成 ' + formatAttainment(card.attainment) : deltaText,
    deltaPctText: card.comparison === 'target' ? '' : formatPct(movePct),
    cls: goodClass(card.good),
    rankText: card.rank && card.peers ? '第' + card.rank + '/' + card.peers + '名' : '',
    statusText: badge.text,
    statusCls: badge.cls,
    nodata: card.status === 'nodata' || card.value === null || card.value === undefined,
  };
}

// The comparison rows of the metric detail: previous period, 环比, 同比, target.
function comparisonRows(card, metric) {
  const unit = card.unit || (metric && metric.unit) || '';
  const precision = metric ? metric.precision : undefined;
  const direction = (metric && metric.direction) || card.direction;
  const rows = [
    { key: 'prev', label: '上期', value: formatValue(card.prev, unit, precision), change: '', cls: 'neutral' },
    {
      key: 'mom',
      label: '环比',
      value: (arrow(card.delta) + ' ' + (card.deltaDisplay || formatDelta(card.delta, unit))).trim(),
      change: formatPct(card.deltaPct),
      cls: goodClass(card.good),
    },
    {
      key: 'yoy',
      label: '同比',
      value: (arrow(card.yoyDelta) + ' ' + formatDelta(card.yoyDelta, unit)).trim(),
      change: formatPct(card.yoyDeltaPct),
      cls: goodClass(goodFromDelta(card.yoyDelta, direction)),
    },
  ];
  if (card.target !== null && card.target !== undefined) {
    const reached = card.attainment !== null && card.attainment !== undefined ? card.attainment >= 1 : null;
    rows.push({
      key: 'target',
      label: '目标',
      value: formatValue(card.target, unit, precision),
      change: '完成 ' + formatAttainment(card.attainment),
      cls: goodClass(reached === null ? null : reached),
    });
  }
  return rows;
}

// Ranking rows of a breakdown, in rank order.
function rankingRows(items, unit) {
  return (items || [])
    .slice()
    .sort((a, b) => (a.rank || Infinity) - (b.rank || Infinity))
    .map((it) => ({
      id: String(it.org.id),
      name: it.org.name,
      kind: it.org.kind || '',
      rank: it.rank || '',
      display: it.display || formatValue(it.value, unit),
      arrow: arrow(it.delta),
      change: formatPct(it.deltaPct),
      cls: goodClass(it.good),
      drillable: !!it.drillable,
      top: it.rank > 0 && it.rank <= 3,
      // A records-backed metric: the child's records behind the figure.
      records: it.records || '',
    }));
}

module.exports = {
  comparisonRows,
  rankingRows,
  compactNumber,
  formatValue,
  axisLabel,
  arrow,
  goodClass,
  goodFromDelta,
  formatDelta,
  formatPct,
  formatAttainment,
  statusBadge,
  dateLong,
  asOfText,
  axisDate,
  ago,
  comparisonLabel,
  cardView,
};
