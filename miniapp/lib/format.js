'use strict';
// Formatting the UI needs beyond the server's own `display` strings: arrows, colour classes,
// 万/亿 for chart axes, status badges and date labels. No I/O, no page code.

const period = require('./period');

// The wording rules, the same as the server's (`server/src/domain/format.rs`): a value with its
// unit, 万/亿 with at most one decimal; a change with one sign — an arrow — or 持平 when it
// rounds to zero (and then no colour).

// A number with at most `digits` decimals, trailing zeros removed.
function trimFixed(v, digits) {
  const s = v.toFixed(digits);
  return s.indexOf('.') >= 0 ? s.replace(/\.?0+$/, '') : s;
}

function missing(v) {
  return v === null || v === undefined || !isFinite(v);
}

// One decimal at most, with a sign for negatives (never `-0`).
function oneDecimal(v) {
  const s = trimFixed(Math.abs(v), 1);
  return v < 0 && s !== '0' ? '-' + s : s;
}

// A compact number for Chinese readers: 1.2万, 3.4亿 (at most one decimal).
function compactNumber(v, digits) {
  if (missing(v)) return '—';
  const abs = Math.abs(v);
  if (abs >= 1e8 || trimFixed(abs / 1e4, 1) === '10000') return oneDecimal(v / 1e8) + '亿';
  if (abs >= 1e4 || trimFixed(abs, 1) === '10000') return oneDecimal(v / 1e4) + '万';
  return trimFixed(v, digits === undefined ? 2 : digits);
}

// A value with its unit, as the server's `display`: rates are fractions (0.8 → 80.0%) at the
// metric's precision; 万/亿 with at most one decimal; smaller values at the metric's precision.
function formatValue(v, unit, precision) {
  if (missing(v)) return '—';
  const u = unit || '';
  if (u === '%') return (v * 100).toFixed(precision === undefined ? 1 : precision) + '%';
  const abs = Math.abs(v);
  if (abs >= 1e4 || trimFixed(abs, 1) === '10000') return compactNumber(v) + u;
  let s = v.toFixed(precision === undefined ? 0 : precision);
  if (/^-[0.]+$/.test(s)) s = s.slice(1);
  return s + u;
}

// Axis label: short, no unit except % (the unit is shown once beside the chart).
function axisLabel(v, unit) {
  if (unit === '%') return trimFixed(v * 100, 1) + '%';
  return compactNumber(v, 1);
}

// An arrow for a chart's marker; never next to a text that carries its own sign.
function arrow(delta) {
  if (missing(delta)) return '';
  if (delta > 0) return '↑';
  if (delta < 0) return '↓';
  return '';
}

const FLAT = '持平';

// How a change reads: `↑1.3个百分点` for a rate, `↓3.5%` relative for anything else, the
// absolute change with its unit when the base is zero (`↑5件`), `持平` when it rounds to zero.
function formatChange(delta, pct, unit, precision) {
  if (missing(delta)) return '—';
  let shown;
  let negative;
  if (unit === '%') {
    shown = Math.abs(delta * 100).toFixed(1) + '个百分点';
    negative = delta < 0;
  } else if (!missing(pct)) {
    shown = Math.abs(pct).toFixed(1) + '%';
    negative = pct < 0;
  } else {
    shown = formatValue(Math.abs(delta), unit, precision);
    negative = delta < 0;
  }
  if (/^[^1-9]*$/.test(shown)) return FLAT;
  return (negative ? '↓' : '↑') + shown;
}

function isFlat(text) {
  return text === FLAT;
}

// The colour class of a move: green when favourable, red when not, grey when neutral,
// unknown or 持平. `good` comes from the server, which knows the metric's direction.
function goodClass(good, text) {
  if (text !== undefined && isFlat(text)) return 'neutral';
  if (good === true) return 'good';
  if (good === false) return 'bad';
  return 'neutral';
}

// `good` from a delta and the metric's direction, for places the server gives none.
function goodFromDelta(delta, direction) {
  if (delta === null || delta === undefined || delta === 0 || !direction) return null;
  return direction === 'down' ? delta < 0 : delta > 0;
}

// A change shown when the server sent no display: the absolute change with its unit.
function formatDelta(delta, unit, precision) {
  return formatChange(delta, null, unit, precision);
}

// A relative change in percent: `↑1.3%`, `持平`.
function formatPct(pct) {
  if (missing(pct)) return '—';
  return formatChange(pct, pct, '', 1);
}

// Why a comparison is missing (`prevMissing` / `yoyMissing` from the server).
const MISSING = { partial: '数据不完整，不作比较', nodata: '无数据' };

function missingText(why, base) {
  return why && MISSING[why] ? base + MISSING[why] : '';
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

// The view model of one card for the home grid, a board and the detail header. The change
// is the server's text (one wording everywhere); 同比 reads as on the briefing.
function cardView(card) {
  const badge = statusBadge(card.status);
  const yoy = card.comparison === 'yoy';
  let deltaText;
  if (card.comparison === 'target') {
    deltaText = '完成 ' + formatAttainment(card.attainment);
  } else {
    const shown = yoy ? card.yoyDisplay : card.deltaDisplay;
    const why = yoy ? card.yoyMissing : card.prevMissing;
    deltaText = shown || missingText(why, yoy ? '上年同期' : '上期') || '—';
  }
  const bars = sparkBars(card.spark);
  return {
    id: card.id,
    metric: card.metric,
    title: card.title,
    unit: card.unit || '',
    display: card.display || (card.status === 'nodata' ? '—' : formatValue(card.value, card.unit)),
    comparisonLabel: comparisonLabel(card.comparison),
    arrow: '',
    deltaText,
    deltaPctText: '',
    cls: goodClass(card.good, deltaText),
    rankText: card.rank && card.peers ? '第' + card.rank + '/' + card.peers + '名' : '',
    statusText: badge.text,
    statusCls: badge.cls,
    sparkBars: bars,
    hasSpark: bars.filter((b) => !b.empty).length >= 2,
    nodata: card.status === 'nodata' || card.value === null || card.value === undefined,
  };
}

// A sparkline as bars (no canvas per card): each point's height in percent of the range
// (at least 8 so the lowest bar shows), gaps for missing points, the last bar marked.
function sparkBars(spark) {
  const points = spark || [];
  const values = points.filter((v) => !missing(v));
  if (!values.length) return [];
  const lo = Math.min.apply(null, values);
  const hi = Math.max.apply(null, values);
  return points.map((v, i) => {
    if (missing(v)) return { h: 0, empty: true, last: false };
    const h = hi === lo ? 60 : 8 + Math.round(((v - lo) / (hi - lo)) * 92);
    return { h, empty: false, last: i === points.length - 1 };
  });
}

// The comparison rows of the metric detail: previous period, 环比, 同比, target — in the
// server's words.
function comparisonRows(card, metric) {
  const unit = card.unit || (metric && metric.unit) || '';
  const precision = metric ? metric.precision : undefined;
  const direction = (metric && metric.direction) || card.direction;
  const prevLabel = card.prevLabel ? '上期（' + card.prevLabel + '）' : '上期';
  const mom = card.deltaDisplay || missingText(card.prevMissing, '上期') || '—';
  const yoy = card.yoyDisplay || missingText(card.yoyMissing, '上年同期') || '—';
  const rows = [
    { key: 'prev', label: prevLabel, value: formatValue(card.prev, unit, precision), change: '', cls: 'neutral' },
    {
      key: 'mom',
      label: '环比',
      value: mom,
      change: '',
      cls: card.comparison === 'prev' ? goodClass(card.good, mom) : goodClass(goodFromDelta(card.delta, direction), mom),
    },
    {
      key: 'yoy',
      // A working day is compared with the nearest working day a year earlier: say which.
      label: card.yoyLabel ? '同比（较' + card.yoyLabel + '）' : '同比',
      value: yoy,
      change: '',
      cls: goodClass(goodFromDelta(card.yoyDelta, direction), yoy),
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

// Ranking rows of a breakdown, in the order the server sent (its order toggle).
function rankingRows(items, unit) {
  return (items || []).map((it) => {
    const change = it.deltaDisplay || formatPct(it.deltaPct);
    return {
      id: String(it.org.id),
      name: it.org.name,
      kind: it.org.kind || '',
      rank: it.rank || '',
      display: it.display || formatValue(it.value, unit),
      arrow: '',
      change,
      cls: goodClass(it.good, change),
      drillable: !!it.drillable,
      top: it.rank > 0 && it.rank <= 3,
      // A records-backed metric: the child's records behind the figure.
      records: it.records || '',
    };
  });
}

module.exports = {
  FLAT,
  sparkBars,
  formatChange,
  missingText,
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
