'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { createWorld, loadPage, tap } = require('./helpers/page-harness');
const { parseUrl } = require('./helpers/fake-dd');

test('org search: typing searches after a pause, a result is handed to the home tab', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const world = createWorld();
  const page = loadPage('orgs', world);
  await page.onLoad({});
  assert.deepEqual(page.data.scopes, [{ id: 'c1', name: '明州市' }]);

  page.onInput({ detail: { value: '明' } });
  page.onInput({ detail: { value: '明州' } });
  t.mock.timers.tick(300);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  const searches = world.dd.calls.httpRequest.map((r) => parseUrl(r.url)).filter((u) => u.path === '/orgs');
  assert.deepEqual(searches.map((u) => u.query.q), ['明州'], 'one request for the final text');
  assert.deepEqual(page.data.results, [{ id: 'c1', name: '明州市', pathNames: '东海省 / 明州市' }]);

  page.onSelect(tap({ id: 'c1', name: '明州市' }));
  assert.deepEqual(world.storage.get('canmou.pendingOrg'), { id: 'c1', name: '明州市' });
  assert.deepEqual(world.dd.calls.switchTab, ['/pages/home/index']);
});

test('org search: confirm searches now; nothing found; failure and retry; clearing', async () => {
  const world = createWorld();
  const page = loadPage('orgs', world);
  await page.onLoad({});
  page.setData({ q: '火星' });
  await page.onConfirm();
  assert.equal(page.data.searched, true);
  assert.deepEqual(page.data.results, []);

  page.setData({ q: '区' });
  world.server.fault('/orgs', { fail: { error: 12 } });
  await page.onConfirm();
  assert.equal(page.data.error.message, '网络连接失败，请检查网络后重试');
  await page.onRetry();
  assert.equal(page.data.error, null);
  assert.deepEqual(page.data.results.map((r) => r.name), ['海曙区', '江北区']);

  page.onClear();
  assert.equal(page.data.q, '');
  assert.deepEqual(page.data.results, []);
});

test('briefing: shows the settings, saves a new time and weekends', async () => {
  const world = createWorld();
  const page = loadPage('briefing', world);
  await page.onLoad({});
  assert.equal(page.data.enabled, true);
  assert.equal(page.data.time, '08:30');
  assert.equal(page.data.timeOptions[page.data.timeIndex], '08:30');
  assert.deepEqual(page.data.user, { name: '王明', title: '市长' });

  page.onTimeChange({ detail: { value: 37 } }); // 09:15
  page.onWeekendsChange({ detail: { value: true } });
  assert.equal(page.data.dirty, true);
  await page.onSave();
  assert.deepEqual(world.server.briefing, { enabled: true, time: '09:15', includeWeekends: true });
  assert.equal(page.data.dirty, false);
  assert.deepEqual(world.dd.calls.showToast.pop(), { content: '已保存', type: 'success' });

  page.onEnabledChange({ detail: { value: false } });
  await page.onSave();
  assert.equal(world.server.briefing.enabled, false);
});

test('briefing: a failed save says why and keeps the edit; a failed load offers retry', async () => {
  const world = createWorld();
  world.server.fault('/me/briefing', { status: 503, data: { error: 'upstream_unavailable', message: 'x', requestId: 'r' } });
  const page = loadPage('briefing', world);
  await page.onLoad({});
  assert.equal(page.data.error.retryable, true);
  await page.onRetry();
  assert.equal(page.data.error, null);

  page.onTimeChange({ detail: { value: 28 } }); // 07:00
  world.server.fault('/me/briefing', { fail: { error: 12 } });
  await page.onSave();
  assert.deepEqual(world.dd.calls.showToast.pop(), { content: '网络连接失败，请检查网络后重试', type: 'fail' });
  assert.equal(page.data.dirty, true);
  assert.equal(page.data.time, '07:00');
  page.onOpenDownloads();
  assert.deepEqual(world.dd.calls.navigateTo, ['/pages/downloads/index']);
});

test('downloads: the ranking export is downloaded with the screen’s parameters and previewed', async () => {
  const world = createWorld();
  const page = loadPage('downloads', world);
  page.onLoad({ kind: 'breakdown', metric: 'collab.dau', metricName: '%E6%B4%BB%E8%B7%83%E4%BA%BA%E6%95%B0', org: 'c1', orgName: '%E6%98%8E%E5%B7%9E%E5%B8%82', grain: 'day', date: '2026-11-26', by: 'region' });
  assert.equal(page.data.subtitle, '明州市 · 2026年11月26日');
  assert.deepEqual(page.data.options.map((o) => o.key), ['breakdown.xlsx', 'breakdown.csv', 'series.xlsx', 'series.csv']);
  assert.equal(page.data.options[0].title, '活跃人数 · 下级排名');

  await page.onDownloadTap(tap({ kind: 'breakdown', format: 'xlsx' }));
  assert.deepEqual(world.dd.downloads, [{ path: '/exports/breakdown.xlsx', query: { metric: 'collab.dau', org: 'c1', grain: 'day', date: '2026-11-26', by: 'region' } }]);
  assert.deepEqual(world.dd.calls.openDocument.map((a) => a.fileType), ['xlsx']);
  assert.equal(page.data.busy, '');
  assert.equal(page.data.recent.length, 1);

  await page.onDownloadTap(tap({ kind: 'series', format: 'csv' }));
  assert.deepEqual(world.dd.downloads[1], { path: '/exports/series.csv', query: { metric: 'collab.dau', org: 'c1', grain: 'day' } });

  // Reopened later: the recent list survives; an expired file is forgotten.
  const again = loadPage('downloads', world);
  again.onLoad({});
  assert.deepEqual(again.data.options.map((o) => o.key), ['home.xlsx', 'home.csv']);
  assert.equal(again.data.subtitle, '当前机构的最新数据');
  assert.equal(again.data.recent.length, 2);
  again.onOpenRecent(tap({ index: 0 }));
  const open = world.dd.calls.openDocument.pop();
  assert.equal(open.filePath, 'ddfile://tmp/export-2');
  open.fail({ error: 1 });
  assert.equal(again.data.recent.length, 1);
});

test('downloads: a failed download shows a retry', async () => {
  const world = createWorld({ dd: { downloadFail: { error: 12 } } });
  const page = loadPage('downloads', world);
  page.onLoad({ org: 'c1' });
  await page.onDownloadTap(tap({ kind: 'home', format: 'csv' }));
  assert.equal(page.data.error.message, '网络连接失败，请检查网络后重试');
  assert.equal(page.data.error.retryable, true);
  assert.equal(page.data.busy, '');
  await page.onRetry();
  assert.equal(world.dd.calls.downloadFile.length, 2);
});
