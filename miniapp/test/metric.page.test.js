'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { createWorld, loadPage, tap } = require('./helpers/page-harness');
const { parseUrl } = require('./helpers/fake-dd');

async function open(options, worldOpts) {
  const world = createWorld(worldOpts);
  const page = loadPage('metric', world);
  await page.onLoad(options);
  return { world, page };
}

const calls = (world, suffix) =>
  world.dd.calls.httpRequest.map((r) => parseUrl(r.url)).filter((u) => u.path.endsWith(suffix)).map((u) => u.query);

const OPTS = { code: 'collab.active_rate', org: 'c1', orgName: '%E6%98%8E%E5%B7%9E%E5%B8%82', grain: 'day', date: '2026-11-26' };

test('onLoad renders the value, comparisons, ranking, peers, breadcrumb and trend from one request', async () => {
  const { world, page } = await open(OPTS);
  const d = page.data;
  assert.equal(d.error, null);
  assert.equal(d.metric.name, '活跃率');
  assert.equal(d.card.display, '80.0%');
  assert.deepEqual(d.rows.map((r) => r.label), ['上期', '环比', '同比', '目标']);
  assert.equal(d.rows[1].cls, 'good');
  assert.equal(d.rankText, '在同级11个单位中排第3名');
  // The province is above the caller's scope: shown, never a link.
  assert.deepEqual(d.breadcrumb.map((c) => [c.name, c.link]), [['东海省', false], ['明州市', false]]);
  assert.deepEqual(d.ranking.map((r) => [r.name, r.rank, r.cls, r.drillable]), [
    ['海曙区', 1, 'good', true],
    ['江北区', 2, 'bad', false],
  ]);
  assert.deepEqual(d.byOptions, ['region', 'department'], 'both dimensions exist here');
  // 晾晒: the city among its peers, its own row marked.
  assert.deepEqual(d.peers.map((r) => [r.name, r.mine]), [['明州市', true], ['临海市', false]]);
  assert.deepEqual(world.dd.calls.setNavigationBar, [{ title: '活跃率' }]);
  assert.equal(d.chartEmpty, false);
  assert.equal(calls(world, '/breakdown').length, 0, 'the detail holds the ranking: no second request');
});

test('the f2 component gets the trend with last year, and a reload changes its data', async () => {
  const { page } = await open(OPTS);
  const built = [];
  const F2 = {
    Chart: class {
      constructor(config) {
        this.config = config;
        built.push(this);
      }
      source(rows) {
        this.rows = rows;
      }
      axis() {}
      legend() {}
      tooltip() {}
      line() {
        const g = { position: () => g, color: () => g, shape: () => g, size: () => g };
        return g;
      }
      point() {
        return this.line();
      }
      render() {}
      changeData(rows) {
        this.rows = rows;
      }
    },
  };
  const chart = page.onInitChart(F2, { width: 300, height: 180 });
  assert.equal(built.length, 1);
  assert.equal(chart.rows.filter((r) => r.s === '本期').length, 7);
  assert.equal(chart.rows.filter((r) => r.s === '去年同期').length, 7);
  await page.onGrainChange({ detail: { value: 1 } });
  assert.equal(built.length, 1, 'the same chart, new data');
  assert.equal(chart.rows.filter((r) => r.s === '本期').length, 7);
});

test('drilling into a district ranks its departments, and the breadcrumb leads back only inside the scope', async () => {
  const { world, page } = await open(OPTS);

  await page.onRankTap(tap({ id: 'd1' }));
  assert.deepEqual(page.data.breadcrumb.map((c) => [c.name, c.link]), [['东海省', false], ['明州市', true], ['海曙区', false]]);
  // A district has departments only: the server's default dimension, no 按地区/按部门 choice.
  assert.equal(page.data.by, 'department');
  assert.deepEqual(page.data.byOptions, []);
  assert.deepEqual(page.data.ranking.map((r) => r.name), ['海曙大数据局']);
  assert.deepEqual(calls(world, '/collab.active_rate').pop().org, 'd1');

  page.onRankTap(tap({ id: 'e1' }));
  assert.deepEqual(world.dd.calls.showToast, [{ content: '已是最下级', type: 'none' }]);

  const before = calls(world, '/collab.active_rate').length;
  assert.equal(page.onCrumbTap(tap({ index: 0 })), undefined, 'the province is out of scope');
  assert.equal(calls(world, '/collab.active_rate').length, before);
  await page.onCrumbTap(tap({ index: 1 }));
  assert.deepEqual(page.data.breadcrumb.map((c) => c.id), ['p1', 'c1']);
  assert.equal(calls(world, '/collab.active_rate').pop().org, 'c1');
  assert.equal(page.data.by, 'region');
});

test('by department, ascending: only the ranking reloads, in the server’s order', async () => {
  const { world, page } = await open(OPTS);
  const before = calls(world, '/collab.active_rate').length;
  await page.onByTap(tap({ by: 'department' }));
  assert.equal(page.data.by, 'department');
  assert.deepEqual(page.data.ranking.map((r) => r.name), ['市政务办']);
  await page.onByTap(tap({ by: 'region' }));
  await page.onOrderTap();
  assert.deepEqual(page.data.ranking.map((r) => r.rank), [2, 1], 'ascending: the weakest first');
  assert.equal(calls(world, '/breakdown').pop().order, 'asc');
  assert.equal(calls(world, '/collab.active_rate').length, before, 'the detail was not fetched again');
});

test('changing the grain reloads detail and ranking for that grain', async () => {
  const { world, page } = await open(OPTS);
  await page.onGrainChange({ detail: { value: 1 } });
  assert.deepEqual(calls(world, '/collab.active_rate').pop(), { org: 'c1', grain: 'week' });
  assert.equal(page.data.grainIndex, 1);
});

test('a failure shows a retry that recovers; pull to refresh reloads', async () => {
  const world = createWorld();
  world.server.fault('/metrics/collab.active_rate', { fail: { error: 13 } });
  const page = loadPage('metric', world);
  await page.onLoad(OPTS);
  assert.equal(page.data.error.message, '请求超时，请稍后重试');
  await page.onRetry();
  assert.equal(page.data.error, null);
  assert.equal(page.data.card.display, '80.0%');
  await page.onPullDownRefresh();
  assert.equal(world.dd.calls.stopPullDownRefresh.length, 1);
});

test('a failed ranking reload keeps the page and says why', async () => {
  const { world, page } = await open(OPTS);
  world.server.fault('/metrics/collab.active_rate/breakdown', { status: 429, data: { error: 'rate_limited', message: 'x', requestId: 'r' } });
  await page.onOrderTap();
  assert.equal(page.data.rankingError, '访问过于频繁，请稍后再试');
  assert.equal(page.data.card.display, '80.0%');
});

test('an unknown metric code is reported', async () => {
  const { page } = await open({ code: 'nope' });
  assert.match(page.data.error.message, /参数有误/);
});

test('download buttons open the downloads page for the series or the ranking', async () => {
  const { world, page } = await open(OPTS);
  page.onDownload(tap({ kind: 'breakdown' }));
  const url = world.dd.calls.navigateTo[0];
  assert.match(url, /^\/pages\/downloads\/index\?kind=breakdown&metric=collab.active_rate&metricName=.+&org=c1&orgName=.+&grain=day&date=2026-11-26&by=region$/);
});
