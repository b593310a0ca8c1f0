'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { createWorld, loadPage, tap } = require('./helpers/page-harness');
const { parseUrl } = require('./helpers/fake-dd');

function open(options, worldOpts) {
  const world = createWorld(worldOpts);
  const page = loadPage('home', world);
  return { world, page, ready: page.onLoad(options || {}) };
}

const homeQueries = (world) =>
  world.dd.calls.httpRequest.map((r) => parseUrl(r.url)).filter((u) => u.path === '/home').map((u) => u.query);

test('onLoad shows the eight cards, asOf, period and late/nodata marks', async () => {
  const { page, ready } = open();
  await ready;
  const d = page.data;
  assert.equal(d.loading, false);
  assert.equal(d.error, null);
  assert.equal(d.cards.length, 8);
  assert.equal(d.asOfText, '数据截至 2026年11月26日');
  assert.equal(d.org.name, '明州市');
  assert.deepEqual(d.breadcrumb.map((c) => c.name), ['东海省', '明州市']);
  const byMetric = Object.fromEntries(d.cards.map((c) => [c.metric, c]));
  assert.equal(byMetric['collab.active_rate'].display, '80.0%');
  assert.equal(byMetric['collab.active_rate'].cls, 'good');
  assert.equal(byMetric['collab.active_rate'].deltaText, '↑1.0个百分点');
  // Fewer overdue cases is good: green, arrow down — one sign, no minus as well.
  assert.equal(byMetric['service.overdue_cases'].cls, 'good');
  assert.equal(byMetric['service.overdue_cases'].deltaText, '↓20.0%');
  assert.equal(byMetric['collab.msg_total'].cls, 'bad');
  assert.equal(byMetric['collab.dau'].statusText, '数据延迟');
  assert.equal(byMetric['mobile.uv'].statusText, '暂无数据');
  assert.equal(byMetric['mobile.uv'].nodata, true);
  assert.equal(d.canNext, false, 'no period after asOf');
  assert.deepEqual(d.orgNames, ['明州市', '搜索其他机构…']);
});

test('the briefing link eapp://pages/home/index?date=2026-11-26 opens that date', async () => {
  const { world, page, ready } = open({ date: '2026-11-26' });
  await ready;
  assert.deepEqual(homeQueries(world), [{ date: '2026-11-26' }]);
  assert.equal(page.data.periodLabel, '2026-11-26');
});

test('org and grain options are honoured, the date aligned to the grain', async () => {
  const { world, ready } = open({ org: 'd1', grain: 'week', date: '2026-11-26' });
  await ready;
  assert.deepEqual(homeQueries(world), [{ org: 'd1', grain: 'week', date: '2026-11-23' }]);
});

test('tapping a card opens the metric detail with the current selection', async () => {
  const { world, page, ready } = open();
  await ready;
  page.onCardTap(tap({ metric: 'collab.active_rate' }));
  assert.deepEqual(world.dd.calls.navigateTo, [
    '/pages/metric/index?code=collab.active_rate&org=c1&orgName=%E6%98%8E%E5%B7%9E%E5%B8%82&grain=day&date=2026-11-26',
  ]);
});

test('changing the grain reloads for the latest complete period of that grain', async () => {
  const { world, page, ready } = open();
  await ready;
  await page.onGrainChange({ detail: { value: 2 } });
  assert.deepEqual(homeQueries(world)[1], { org: 'c1', grain: 'month' });
  assert.equal(page.data.grainIndex, 2);
});

test('a chosen date survives a grain change, aligned to the new period', async () => {
  const { world, page, ready } = open({ date: '2026-11-26' });
  await ready;
  await page.onGrainChange({ detail: { value: 3 } });
  assert.deepEqual(homeQueries(world)[1], { org: 'c1', grain: 'quarter', date: '2026-10-01' });
});

test('the date picker and the period arrows move the date', async () => {
  const { world, page, ready } = open();
  await ready;
  world.dd.nextDate = '2026-10-15';
  await page.onPickDate();
  assert.equal(world.dd.calls.datePicker[0].currentDate, '2026-11-26');
  await page.onPrevPeriod();
  assert.deepEqual(homeQueries(world).slice(1), [
    { org: 'c1', grain: 'day', date: '2026-10-15' },
    { org: 'c1', grain: 'day', date: '2026-10-14' },
  ]);
  assert.equal(page.data.canNext, true);
  await page.onNextPeriod();
  assert.equal(homeQueries(world)[3].date, '2026-10-15');
});

test('a failure shows the message and a retry button; the retry recovers', async () => {
  const world = createWorld();
  world.server.fault('/home', { status: 503, data: { error: 'upstream_unavailable', message: 'x', requestId: 'r' } });
  const page = loadPage('home', world);
  await page.onLoad({});
  assert.equal(page.data.cards.length, 0);
  assert.equal(page.data.error.message, '数据源暂时不可用，请稍后重试');
  assert.equal(page.data.error.retryable, true);
  await page.onRetry();
  assert.equal(page.data.error, null);
  assert.equal(page.data.cards.length, 8);
});

test('offline, the last good screen is shown from storage, marked stale with its asOf', async () => {
  let now = Date.parse('2026-11-26T08:00:00Z');
  const world = createWorld({ now: () => now });
  const first = loadPage('home', world);
  await first.onLoad({});
  now += 2 * 3600 * 1000;
  world.server.fault('/home', { fail: { error: 12, errorMessage: 'offline' } });
  const page = loadPage('home', world); // the app was reopened
  await page.onLoad({});
  assert.equal(page.data.cards.length, 8);
  assert.equal(page.data.error.message, '网络连接失败，请检查网络后重试');
  assert.equal(page.data.stale.text, '离线数据 · 数据截至 2026年11月26日 · 获取于2小时前');
  await page.onRetry();
  assert.equal(page.data.stale, null);
  assert.equal(page.data.error, null);
});

test('an out-of-scope org is an error, not a stale screen', async () => {
  const world = createWorld();
  await loadPage('home', world).onLoad({});
  const page = loadPage('home', world);
  await page.onLoad({ org: 'c2' });
  assert.equal(page.data.stale, null);
  assert.equal(page.data.error.message, '该机构不在您的数据权限范围内');
  assert.equal(page.data.error.retryable, false);
});

test('pull to refresh reloads and stops the spinner', async () => {
  const { world, page, ready } = open();
  await ready;
  await page.onPullDownRefresh();
  assert.equal(homeQueries(world).length, 2);
  assert.equal(world.dd.calls.stopPullDownRefresh.length, 1);
});

test('the breadcrumb goes up; an org picked on the search tab arrives on show', async () => {
  const { world, page, ready } = open({ org: 'd1' });
  await ready;
  assert.deepEqual(page.data.breadcrumb.map((c) => [c.id, c.link]), [['p1', false], ['c1', true], ['d1', false]]);
  assert.equal(page.onCrumbTap(tap({ index: 0 })), undefined, 'the province is outside the scope: no request');
  await page.onCrumbTap(tap({ index: 1 }));
  assert.equal(page.data.org.id, 'c1');
  await page.onShow();
  assert.equal(homeQueries(world).length, 2, 'nothing pending, no reload');
  world.storage.set('canmou.pendingOrg', { id: 'd2', name: '江北区' });
  await page.onShow();
  assert.equal(page.data.org.name, '江北区');
});

test('the org picker switches to a scope or to the search tab', async () => {
  const { world, page, ready } = open({ org: 'd1' });
  await ready;
  await page.onOrgPick({ detail: { value: 0 } });
  assert.equal(page.data.org.id, 'c1');
  page.onOrgPick({ detail: { value: 1 } });
  assert.deepEqual(world.dd.calls.switchTab, ['/pages/orgs/index']);
});

test('the download button opens the downloads page for this screen', async () => {
  const { world, page, ready } = open();
  await ready;
  page.onDownload();
  assert.match(world.dd.calls.navigateTo[0], /^\/pages\/downloads\/index\?kind=home&org=c1&orgName=.+&grain=day&date=2026-11-26$/);
});
