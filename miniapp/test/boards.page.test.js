'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { createWorld, loadPage, tap } = require('./helpers/page-harness');
const { parseUrl } = require('./helpers/fake-dd');

async function open(options) {
  const world = createWorld();
  const page = loadPage('boards', world);
  await page.onLoad(options || {});
  return { world, page };
}

const requests = (world, prefix) =>
  world.dd.calls.httpRequest.map((r) => parseUrl(r.url)).filter((u) => u.path.indexOf(prefix) >= 0);

test('the 指标 tab lists the boards and shows the first one’s sections of cards', async () => {
  const { world, page } = await open();
  const d = page.data;
  assert.equal(d.error, null);
  assert.deepEqual(d.boards.map((b) => b.name), ['协同', '政务服务']);
  assert.equal(d.current, 'collab');
  assert.deepEqual(d.sections.map((s) => [s.name, s.cards.length]), [['活跃', 2], ['消息', 1]]);
  const rate = d.sections[0].cards[0];
  assert.equal(rate.display, '80.0%');
  assert.equal(rate.deltaText, '↑1.0个百分点');
  assert.ok(rate.hasSpark, 'cards draw their sparkline');
  assert.equal(d.org.name, '明州市');
  assert.equal(requests(world, '/boards/').length, 1, 'one request for the screen');
});

test('another board, another grain, and a card opens its metric page with the selection', async () => {
  const { world, page } = await open({ board: 'service', grain: 'week' });
  assert.equal(page.data.current, 'service');
  assert.deepEqual(page.data.sections.map((s) => s.name), ['办理']);
  await page.onBoardTap(tap({ code: 'collab' }));
  assert.equal(page.data.current, 'collab');
  await page.onGrainChange({ detail: { value: 2 } });
  assert.equal(requests(world, '/boards/collab').pop().query.grain, 'month');
  page.onCardTap(tap({ metric: 'collab.msg_total' }));
  const url = parseUrl('https://x' + world.dd.calls.navigateTo[0]);
  assert.equal(url.path, '/pages/metric/index');
  assert.equal(url.query.code, 'collab.msg_total');
  assert.equal(url.query.org, 'c1');
  assert.equal(url.query.grain, 'month');
});

test('a failing board shows a retryable error', async () => {
  const world = createWorld();
  world.server.fault('/boards/collab', { status: 503, data: { error: 'upstream_unavailable', message: 'x', requestId: 'r' } }, 5);
  const page = loadPage('boards', world);
  await page.onLoad({});
  assert.ok(page.data.error, 'an error is shown');
  assert.equal(page.data.sections.length, 0);
});
