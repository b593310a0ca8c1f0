'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const period = require('../lib/period');

test('a picked date aligns to the first day of its period', () => {
  // 2026-11-26 is a Thursday.
  assert.equal(period.alignDate('day', '2026-11-26'), '2026-11-26');
  assert.equal(period.alignDate('week', '2026-11-26'), '2026-11-23');
  assert.equal(period.alignDate('week', '2026-11-23'), '2026-11-23');
  assert.equal(period.alignDate('week', '2026-11-29'), '2026-11-23', 'Sunday belongs to the week that began on Monday');
  assert.equal(period.alignDate('month', '2026-11-26'), '2026-11-01');
  assert.equal(period.alignDate('quarter', '2026-11-26'), '2026-10-01');
  assert.equal(period.alignDate('quarter', '2026-03-31'), '2026-01-01');
  assert.equal(period.alignDate('year', '2026-11-26'), '2026-01-01');
  assert.equal(period.alignDate('week', '2027-01-01'), '2026-12-28', 'ISO weeks cross the year');
});

test('periods step back and forth', () => {
  assert.equal(period.shiftPeriod('day', '2026-03-01', -1), '2026-02-28');
  assert.equal(period.shiftPeriod('week', '2026-11-26', 1), '2026-11-30');
  assert.equal(period.shiftPeriod('month', '2026-01-31', -1), '2025-12-01');
  assert.equal(period.shiftPeriod('quarter', '2026-11-26', 1), '2027-01-01');
  assert.equal(period.shiftPeriod('year', '2026-11-26', -1), '2025-01-01');
});

test('ISO week numbers follow the Thursday rule', () => {
  assert.deepEqual(period.isoWeek('2026-11-26'), { week: 48, weekYear: 2026 });
  assert.deepEqual(period.isoWeek('2027-01-01'), { week: 53, weekYear: 2026 });
  assert.deepEqual(period.isoWeek('2024-12-30'), { week: 1, weekYear: 2025 });
});

test('labels are Chinese', () => {
  assert.equal(period.periodLabel('day', '2026-11-26'), '2026年11月26日');
  assert.equal(period.periodLabel('week', '2026-11-26'), '2026年第48周（11/23–11/29）');
  assert.equal(period.periodLabel('month', '2026-11-26'), '2026年11月');
  assert.equal(period.periodLabel('quarter', '2026-11-26'), '2026年第4季度');
  assert.equal(period.periodLabel('year', '2026-11-26'), '2026年');
});

test('today is the business date in Asia/Shanghai', () => {
  assert.equal(period.today(Date.parse('2026-11-25T16:30:00Z')), '2026-11-26');
  assert.equal(period.today(Date.parse('2026-11-25T15:59:00Z')), '2026-11-25');
});

test('date and grain validation', () => {
  assert.ok(period.isDate('2026-02-28'));
  assert.ok(!period.isDate('2026-02-30'));
  assert.ok(!period.isDate('26-11-26'));
  assert.ok(period.isGrain('quarter'));
  assert.ok(!period.isGrain('decade'));
  assert.throws(() => period.alignDate('decade', '2026-01-01'));
});
