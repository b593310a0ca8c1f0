'use strict';
// Business periods on the client: a grain and its first day, as the server defines them
// (DESIGN.md §4). Dates are 'YYYY-MM-DD' strings; arithmetic is done on UTC midnights so the
// phone's own time zone never shifts a day.

const GRAINS = ['day', 'week', 'month', 'quarter', 'year'];
const GRAIN_LABELS = { day: '日', week: '周', month: '月', quarter: '季', year: '年' };
const BUSINESS_UTC_OFFSET_MS = 8 * 3600 * 1000; // Asia/Shanghai has no daylight saving
const DAY_MS = 86400 * 1000;

function isGrain(g) {
  return GRAINS.indexOf(g) >= 0;
}

function isDate(s) {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  return toYmd(parse(s)) === s;
}

function pad(n) {
  return n < 10 ? '0' + n : String(n);
}

function parse(s) {
  const [y, m, d] = s.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

function toYmd(dt) {
  return dt.getUTCFullYear() + '-' + pad(dt.getUTCMonth() + 1) + '-' + pad(dt.getUTCDate());
}

// Today's business date in Asia/Shanghai.
function today(nowMs) {
  const ms = nowMs === undefined ? Date.now() : nowMs;
  return toYmd(new Date(ms + BUSINESS_UTC_OFFSET_MS));
}

// The first day of the period of `grain` that contains `date`.
function alignDate(grain, date) {
  if (!isGrain(grain)) throw new Error('unknown grain: ' + grain);
  const dt = parse(date);
  const y = dt.getUTCFullYear();
  const m = dt.getUTCMonth();
  switch (grain) {
    case 'day':
      return toYmd(dt);
    case 'week': {
      const dow = (dt.getUTCDay() + 6) % 7; // Monday = 0
      return toYmd(new Date(dt.getTime() - dow * DAY_MS));
    }
    case 'month':
      return toYmd(new Date(Date.UTC(y, m, 1)));
    case 'quarter':
      return toYmd(new Date(Date.UTC(y, m - (m % 3), 1)));
    default:
      return toYmd(new Date(Date.UTC(y, 0, 1)));
  }
}

// The first day of the period `n` periods after (or before, n < 0) the one containing `date`.
function shiftPeriod(grain, date, n) {
  const start = parse(alignDate(grain, date));
  const y = start.getUTCFullYear();
  const m = start.getUTCMonth();
  switch (grain) {
    case 'day':
      return toYmd(new Date(start.getTime() + n * DAY_MS));
    case 'week':
      return toYmd(new Date(start.getTime() + 7 * n * DAY_MS));
    case 'month':
      return toYmd(new Date(Date.UTC(y, m + n, 1)));
    case 'quarter':
      return toYmd(new Date(Date.UTC(y, m + 3 * n, 1)));
    default:
      return toYmd(new Date(Date.UTC(y + n, 0, 1)));
  }
}

// ISO 8601 week number and week-year of a date.
function isoWeek(date) {
  const dt = parse(date);
  const dow = (dt.getUTCDay() + 6) % 7;
  const thursday = new Date(dt.getTime() + (3 - dow) * DAY_MS);
  const weekYear = thursday.getUTCFullYear();
  const jan1 = Date.UTC(weekYear, 0, 1);
  const week = Math.floor((thursday.getTime() - jan1) / DAY_MS / 7) + 1;
  return { week, weekYear };
}

// A long Chinese label for a period, for pickers and titles.
function periodLabel(grain, date) {
  const start = alignDate(grain, date);
  const dt = parse(start);
  const y = dt.getUTCFullYear();
  const m = dt.getUTCMonth() + 1;
  switch (grain) {
    case 'day':
      return y + '年' + m + '月' + dt.getUTCDate() + '日';
    case 'week': {
      const w = isoWeek(start);
      const end = parse(shiftPeriod('day', start, 6));
      return w.weekYear + '年第' + w.week + '周（' + m + '/' + dt.getUTCDate() + '–' +
        (end.getUTCMonth() + 1) + '/' + end.getUTCDate() + '）';
    }
    case 'month':
      return y + '年' + m + '月';
    case 'quarter':
      return y + '年第' + (Math.floor((m - 1) / 3) + 1) + '季度';
    default:
      return y + '年';
  }
}

module.exports = {
  GRAINS,
  GRAIN_LABELS,
  isGrain,
  isDate,
  today,
  alignDate,
  shiftPeriod,
  isoWeek,
  periodLabel,
};
