'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const nav = require('../lib/nav');
const { memoryStorage } = require('../lib/storage');
const { createHomeCache } = require('../lib/home-cache');
const briefing = require('../lib/briefing');

test('options from a briefing link become a selection; bad values are dropped', () => {
  assert.deepEqual(nav.selectionFromOptions({ date: '2026-11-26' }), { org: null, grain: null, date: '2026-11-26' });
  assert.deepEqual(nav.selectionFromOptions({ org: 'c1', orgName: '%E6%98%8E%E5%B7%9E%E5%B8%82', grain: 'month', date: '2026-11-26' }), {
    org: { id: 'c1', name: '明州市' },
    grain: 'month',
    date: '2026-11-01',
  });
  assert.deepEqual(nav.selectionFromOptions({ grain: 'decade', date: 'yesterday' }), { org: null, grain: null, date: null });
  assert.deepEqual(nav.queryOf({ org: { id: 'c1' }, grain: 'day', date: null }), { org: 'c1', grain: 'day', date: null });
});

test('changing grain aligns the date; stepping moves one period', () => {
  let sel = { org: null, grain: 'day', date: '2026-11-26' };
  sel = nav.withGrain(sel, 'week');
  assert.equal(sel.date, '2026-11-23');
  sel = nav.stepPeriod(sel, -1);
  assert.equal(sel.date, '2026-11-16');
  sel = nav.withDate(nav.withGrain(sel, 'quarter'), '2026-05-20');
  assert.equal(sel.date, '2026-04-01');
  assert.equal(nav.withGrain(sel, 'decade'), sel);
});

test('the breadcrumb stack pushes going down and truncates going up', () => {
  let s = nav.crumbsFrom([{ id: 'p1', name: '东海省' }]);
  s = nav.pushCrumb(s, { id: 'c1', name: '明州市' });
  s = nav.pushCrumb(s, { id: 'd1', name: '海曙区' });
  assert.deepEqual(s.map((c) => c.id), ['p1', 'c1', 'd1']);
  assert.deepEqual(nav.popTo(s, 1).map((c) => c.id), ['p1', 'c1']);
  assert.deepEqual(nav.pushCrumb(s, { id: 'c1', name: '明州市' }).map((c) => c.id), ['p1', 'c1']);
  assert.equal(nav.popTo(s, 7), s);
});

test('page URLs carry the selection', () => {
  assert.equal(nav.pageUrl('/pages/metric/index', { code: 'collab.dau', org: 'c1', orgName: '明州市', date: null }), '/pages/metric/index?code=collab.dau&org=c1&orgName=%E6%98%8E%E5%B7%9E%E5%B8%82');
});

test('a pending org is taken once', () => {
  const storage = memoryStorage();
  nav.setPendingOrg(storage, { id: 'd1', name: '海曙区' });
  assert.deepEqual(nav.takePendingOrg(storage), { id: 'd1', name: '海曙区' });
  assert.equal(nav.takePendingOrg(storage), null);
});

test('the home cache returns the exact screen, else the latest one, and keeps at most 8', () => {
  const storage = memoryStorage();
  let t = 1000;
  const cache = createHomeCache(storage, () => t);
  assert.equal(cache.load({}), null);
  cache.save({ org: 'c1' }, { asOf: '2026-11-25' });
  t = 2000;
  cache.save({ org: 'd1' }, { asOf: '2026-11-26' });
  assert.deepEqual(cache.load({ org: 'c1' }), { exact: true, savedAt: 1000, home: { asOf: '2026-11-25' } });
  assert.deepEqual(cache.load({ org: 'zz' }), { exact: false, savedAt: 2000, home: { asOf: '2026-11-26' } });
  for (let i = 0; i < 10; i++) cache.save({ org: 'x' + i }, { i });
  assert.equal(storage.keys().filter((k) => k.startsWith('canmou.home.') && k !== 'canmou.home.index').length, 8);
});

test('briefing times are quarter hours', () => {
  assert.equal(briefing.TIME_OPTIONS.length, 96);
  assert.ok(briefing.isQuarterHour('08:30'));
  assert.ok(!briefing.isQuarterHour('08:20'));
  assert.equal(briefing.TIME_OPTIONS[briefing.timeIndex('08:20')], '08:15');
  assert.deepEqual(briefing.normalize({ time: '7:45' }), { enabled: true, time: '07:45', includeWeekends: false });
});
