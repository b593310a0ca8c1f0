'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { createWorld, loadPage, tap } = require('./helpers/page-harness');
const { parseUrl } = require('./helpers/fake-dd');
const records = require('../lib/records');

const LINK = '/api/v1/records/cases?org=c1&completedFrom=2026-11-01&completedTo=2026-11-30&overdue=true';

test('a records link becomes a query, its filters chips', () => {
  const parsed = records.parseLink(LINK);
  assert.deepEqual(parsed, { kind: 'cases', params: { org: 'c1', completedFrom: '2026-11-01', completedTo: '2026-11-30', overdue: 'true' } });
  assert.deepEqual(records.chipsOf(parsed.params, '明州市').map((c) => c.label), ['明州市', '办结 2026-11-01 至 2026-11-30', '超期']);
  assert.deepEqual(Object.keys(records.withoutChip(parsed.params, 'completedFrom')), ['org', 'overdue']);
  assert.equal(records.parseLink('/api/v1/records/people'), null);
  assert.deepEqual(records.chipsOf({ status: 'draft,published' }), [{ key: 'status', label: '草稿、已发布' }]);
});

test('record list: opened from a card, pages as it scrolls, searches, drops a chip, opens a record', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const world = createWorld();
  const page = loadPage('records', world);
  await page.onLoad({ link: encodeURIComponent(LINK), orgName: '明州市' });

  const asked = () => world.dd.calls.httpRequest.map((r) => parseUrl(r.url)).filter((u) => u.path === '/records/cases');
  assert.equal(page.data.kindName, '办件');
  assert.equal(page.data.rows.length, 30);
  assert.equal(page.data.total, '45');
  const first = asked()[0].query;
  assert.equal(first.overdue, 'true');
  assert.equal(first.org, 'c1');
  assert.equal(first.columns, records.PHONE_COLUMNS.cases.join(','), 'a few columns for a phone');
  assert.equal(page.data.rows[0].badge, '超期 5个工作日');

  // Infinite scroll: the next page from the cursor, then the end.
  await page.onReachBottom();
  assert.equal(page.data.rows.length, 45);
  assert.equal(asked()[1].query.cursor, '30');
  assert.equal(page.data.done, true);
  await page.onReachBottom();
  assert.equal(asked().length, 2, 'nothing more to ask for');

  // Search starts again from the first page.
  page.onInput({ detail: { value: '食品' } });
  t.mock.timers.tick(300);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  assert.equal(asked()[2].query.q, '食品');
  assert.equal(asked()[2].query.cursor, undefined);
  assert.equal(page.data.rows.length, 15);

  // A chip removed: the overdue filter goes.
  await page.onRemoveChip(tap({ key: 'overdue' }));
  assert.equal(asked()[3].query.overdue, undefined);
  assert.deepEqual(page.data.chips.map((c) => c.key), ['org', 'completedFrom']);

  page.onOpen(tap({ id: 'k4' }));
  assert.deepEqual(world.dd.calls.navigateTo, ['/pages/record/index?kind=cases&id=k4']);
});

test('record list: a failure can be retried', async () => {
  const world = createWorld();
  world.server.fault('/records', { fail: { error: 12 } });
  const page = loadPage('records', world);
  await page.onLoad({ kind: 'cases', overdue: 'true' });
  assert.equal(page.data.error.message, '网络连接失败，请检查网络后重试');
  await page.onRetry();
  assert.equal(page.data.error, null);
  assert.equal(page.data.rows.length, 30);
});

test('record detail: the fields in the server order, with the item', async () => {
  const world = createWorld();
  const page = loadPage('record', world);
  await page.onLoad({ kind: 'cases', id: 'k2' });
  assert.deepEqual(page.data.fields.slice(0, 2), [
    { key: 'caseNo', label: '办件编号', text: 'NO002' },
    { key: 'itemName', label: '事项名称', text: '社会保障卡办理' },
  ]);
  assert.equal(page.data.fields.find((f) => f.key === 'acceptedAt').text, '2026-11-16 09:00');
  assert.equal(page.data.fields.find((f) => f.key === 'overdue').text, '是');
  assert.equal(page.data.item[0].text, '社会保障卡办理');
});

test('metric page: a records-backed card and a leaf row open their records', async () => {
  const world = createWorld();
  const page = loadPage('metric', world);
  await page.onLoad({ code: 'service.overdue_cases', org: 'c1', orgName: '明州市' });
  page.setData({ recordsLink: LINK });
  page.onOpenRecords();
  assert.equal(world.dd.calls.navigateTo.length, 1);
  assert.ok(world.dd.calls.navigateTo[0].startsWith('/pages/records/index?link=' + encodeURIComponent(LINK)));
  page.setData({ ranking: [{ id: 'd9', name: '某局', drillable: false, records: LINK }] });
  page.onRankTap(tap({ id: 'd9' }));
  assert.equal(world.dd.calls.navigateTo.length, 2);
});
