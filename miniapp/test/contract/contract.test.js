'use strict';
// Contract test: the mini-program's API client against a real Canmou server in demo mode.
//   CANMOU_URL=http://127.0.0.1:8080 npm run test:contract
// Not part of `npm test` (which has no server). It logs in as the sandbox's demo-official.

const test = require('node:test');
const assert = require('node:assert/strict');
const { createApi } = require('../../lib/api');
const { memoryStorage } = require('../../lib/storage');
const { ApiError } = require('../../lib/errors');
const period = require('../../lib/period');
const format = require('../../lib/format');
const { createFetchDd } = require('../helpers/fetch-dd');

const BASE = process.env.CANMOU_URL;
const GRAINS = period.GRAINS;
const STATUSES = ['ok', 'partial', 'late', 'nodata'];

if (!BASE) {
  test('CANMOU_URL is required', () => {
    assert.fail(
      'CANMOU_URL is not set. Start the server in demo mode (it mounts the DingTalk sandbox under ' +
        '/sandbox/dingtalk) and run: CANMOU_URL=http://127.0.0.1:8080 npm run test:contract'
    );
  });
} else {
  const dd = createFetchDd({ baseUrl: BASE, userid: 'demo-official' });
  const storage = memoryStorage();
  const api = createApi({ dd, baseUrl: BASE, storage, timeout: 20000 });
  const ctx = {};

  const isDate = (s) => period.isDate(s);
  const nonEmpty = (s) => typeof s === 'string' && s.trim().length > 0;

  test('login with a sandbox auth code', async () => {
    const s = await api.login();
    assert.ok(nonEmpty(s.token));
    assert.equal(s.token.split('.').length, 3, 'a JWT');
    assert.ok(Date.parse(s.expiresAt) > Date.now(), 'expiresAt is RFC 3339 and in the future');
    assert.equal(s.user.userid, 'demo-official');
    assert.ok(nonEmpty(s.user.name));
    const login = dd.requests[0];
    assert.equal(login.method, 'POST');
    assert.equal(login.headers['Content-Type'], 'application/json');
  });

  test('GET /me', async () => {
    const me = await api.me();
    assert.equal(me.user.userid, 'demo-official');
    assert.ok(Array.isArray(me.scopes) && me.scopes.length > 0, 'the demo official has a scope');
    for (const s of me.scopes) assert.ok(nonEmpty(String(s.id)) && nonEmpty(s.name));
    assert.ok(GRAINS.includes(me.cardSet.defaultGrain));
    assert.equal(typeof me.briefing.enabled, 'boolean');
    assert.match(me.briefing.time, /^\d{2}:\d{2}$/);
    ctx.me = me;
  });

  test('GET /home: eight cards with their display strings', async () => {
    const home = await api.home();
    assert.ok(isDate(home.asOf));
    assert.ok(GRAINS.includes(home.period.grain));
    assert.ok(isDate(home.period.start));
    assert.equal(period.alignDate(home.period.grain, home.period.start), home.period.start, 'a period is given by its first day');
    assert.equal(typeof home.period.partial, 'boolean');
    assert.ok(nonEmpty(home.period.label));
    assert.ok(home.period.start <= home.asOf);
    assert.ok(nonEmpty(String(home.org.id)) && nonEmpty(home.org.name));
    assert.ok(Array.isArray(home.org.breadcrumb));
    assert.equal(home.cards.length, 8);
    for (const c of home.cards) {
      assert.ok(nonEmpty(c.display), c.metric + ' has a display');
      assert.ok(nonEmpty(c.title) && nonEmpty(c.metric));
      assert.ok(STATUSES.includes(c.status), c.metric + ' status ' + c.status);
      assert.ok([true, false, null].includes(c.good), c.metric + ' good');
      assert.ok(['up', 'down'].includes(c.direction));
      assert.ok(['prev', 'yoy', 'target'].includes(c.comparison));
      assert.ok(Array.isArray(c.spark));
      if (c.status !== 'nodata') assert.equal(typeof c.value, 'number');
      if (typeof c.delta === 'number' && c.delta !== 0 && c.comparison === 'prev') {
        assert.equal(c.good, format.goodFromDelta(c.delta, c.direction), c.metric + ': good follows direction');
      }
      const view = format.cardView(c);
      assert.ok(nonEmpty(view.display));
    }
    ctx.home = home;
  });

  test('GET /home for a picked week: the server agrees on the ISO week start', async () => {
    const h = ctx.home;
    const date = period.alignDate('week', period.shiftPeriod('day', h.asOf, -7));
    const home = await api.home({ org: h.org.id, grain: 'week', date });
    assert.equal(home.period.grain, 'week');
    assert.equal(home.period.start, date);
    assert.equal(home.cards.length, 8);
  });

  test('GET /metrics/{code}: card, series and breakdown', async () => {
    const code = ctx.home.cards[0].metric;
    const q = { org: ctx.home.org.id, grain: ctx.home.period.grain, date: ctx.home.period.start };
    const d = await api.metric(code, q);
    assert.equal(d.metric.code, code);
    assert.ok(nonEmpty(d.metric.name));
    assert.ok(['up', 'down'].includes(d.metric.direction));
    assert.equal(d.card.metric, code);
    assert.ok(nonEmpty(d.card.display));
    const pts = d.series.points;
    assert.ok(pts.length > 1, 'a trend has points');
    for (let i = 0; i < pts.length; i++) {
      assert.ok(isDate(pts[i].start));
      if (i) assert.ok(pts[i - 1].start < pts[i].start, 'points ascend');
      assert.ok(pts[i].value === null || typeof pts[i].value === 'number');
    }
    assert.ok(['region', 'department'].includes(d.breakdown.by));
    assert.ok(d.breakdown.kinds.includes(d.breakdown.by), 'the default dimension exists here');
    assert.equal(d.series.lastYear.length, pts.length, 'last year, one value a point');
    const rows = require('../../lib/trend').trendRows(pts, d.series.lastYear);
    assert.equal(rows.length, pts.length * 2);
    ctx.code = code;
    ctx.query = q;
  });

  test('GET /boards and /boards/{code}: every indicator on a board, one answer a board', async () => {
    const list = await api.boards();
    const codes = list.boards.flatMap((b) => b.sections.flatMap((s) => s.metrics.map((m) => m.code)));
    assert.ok(codes.length >= 44, codes.length + ' indicators on the boards');
    assert.equal(new Set(codes).size, codes.length, 'each once');
    for (const b of list.boards) {
      const screen = await api.board(b.code, ctx.query);
      const cards = screen.sections.flatMap((s) => s.cards);
      assert.equal(cards.length, b.sections.reduce((n, s) => n + s.metrics.length, 0), b.code);
      for (const c of cards) {
        const view = format.cardView(c);
        assert.ok(nonEmpty(view.display), c.metric);
        assert.ok(!/[+-]\d/.test(view.deltaText) || !/[↑↓]/.test(view.deltaText), 'one sign: ' + view.deltaText);
      }
    }
  });

  test('GET /metrics/{code}/series over a range', async () => {
    const to = ctx.query.date;
    const from = period.shiftPeriod('day', to, -13);
    const s = await api.series(ctx.code, { org: ctx.query.org, grain: 'day', from, to });
    assert.equal(s.grain, 'day');
    assert.ok(s.points.length > 0 && s.points.length <= 14);
    for (const p of s.points) assert.ok(p.start >= from && p.start <= to, p.start);
  });

  test('GET /metrics/{code}/breakdown: items sorted by rank; drill down a level', async () => {
    const b = await api.breakdown(ctx.code, Object.assign({ by: 'region', order: 'desc' }, ctx.query));
    assert.equal(b.by, 'region');
    assert.ok(b.items.length > 0, 'the demo official’s org has children');
    assert.equal(typeof b.total, 'number');
    const ranks = b.items.map((i) => i.rank);
    assert.deepEqual(ranks, ranks.slice().sort((x, y) => x - y), 'sorted by rank');
    assert.equal(ranks[0], 1);
    for (const it of b.items) {
      assert.ok(nonEmpty(String(it.org.id)) && nonEmpty(it.org.name));
      assert.equal(typeof it.drillable, 'boolean');
      if (it.value !== null) assert.ok(nonEmpty(it.display));
      assert.ok([true, false, null].includes(it.good));
    }
    const valued = b.items.filter((i) => typeof i.value === 'number');
    for (let i = 1; i < valued.length; i++) assert.ok(valued[i - 1].value >= valued[i].value, 'desc order');
    const rows = format.rankingRows(b.items, b.metric.unit);
    assert.equal(rows.length, b.items.length);

    const child = b.items.find((i) => i.drillable);
    if (child) {
      const down = await api.breakdown(ctx.code, Object.assign({}, ctx.query, { org: child.org.id, by: 'region' }));
      assert.equal(String(down.org.id), String(child.org.id));
      const org = await api.org(child.org.id);
      assert.deepEqual(org.breadcrumb.slice(-1).map((c) => String(c.id)), [String(child.org.id)]);
      assert.ok(org.breadcrumb.some((c) => String(c.id) === String(ctx.query.org)), 'the breadcrumb leads back up');
    }
  });

  test('orgs: the home org, its children and a search', async () => {
    const org = await api.org(ctx.home.org.id);
    assert.equal(String(org.id), String(ctx.home.org.id));
    assert.ok(Array.isArray(org.breadcrumb));
    const kids = await api.orgChildren(org.id);
    assert.ok(Array.isArray(kids.items));
    const found = await api.searchOrgs(org.name.slice(0, 2));
    assert.ok(found.items.some((o) => String(o.id) === String(org.id)), 'search finds the org by name');
    assert.ok(found.items.every((o) => typeof o.pathNames === 'string'));
  });

  test('export: CSV with a UTF-8 BOM, and XLSX, downloaded with the bearer token', async () => {
    const csv = await api.download('home', 'csv', { org: ctx.home.org.id });
    const rec = dd.downloads[dd.downloads.length - 1];
    assert.equal(rec.status, 200);
    assert.equal(csv.status, 200);
    assert.deepEqual([...rec.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'CSV starts with the UTF-8 BOM');
    assert.match(rec.headers['content-disposition'] || '', /filename\*=UTF-8''/);
    const text = rec.bytes.subarray(3).toString('utf8');
    assert.ok(text.split(/\r?\n/).filter(Boolean).length >= 9, 'a header and a row per card');
    assert.deepEqual(dd.opened.pop(), { filePath: csv.filePath, fileType: 'csv' });

    await api.download('breakdown', 'xlsx', { metric: ctx.code, org: ctx.query.org, grain: ctx.query.grain, date: ctx.query.date, by: 'region' });
    const x = dd.downloads[dd.downloads.length - 1];
    assert.equal(x.status, 200);
    assert.equal(x.bytes.subarray(0, 2).toString('latin1'), 'PK', 'XLSX is a zip');
  });

  test('briefing settings round-trip', async () => {
    const before = await api.getBriefing();
    const changed = { enabled: !before.enabled, time: before.time === '09:15' ? '07:45' : '09:15', includeWeekends: !before.includeWeekends };
    try {
      await api.saveBriefing(changed);
      assert.deepEqual(await api.getBriefing(), changed);
      await assert.rejects(api.saveBriefing(Object.assign({}, changed, { time: '09:10' })), (e) => e.status === 400 && e.code === 'invalid_parameter');
    } finally {
      await api.saveBriefing({ enabled: before.enabled, time: before.time, includeWeekends: before.includeWeekends });
    }
  });

  test('errors: bad grain, unknown metric, friendly messages', async () => {
    await assert.rejects(api.home({ grain: 'decade' }), (e) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.status, 400);
      assert.equal(e.code, 'invalid_parameter');
      assert.equal(e.param, 'grain');
      assert.ok(nonEmpty(e.requestId));
      return true;
    });
    await assert.rejects(api.metric('no.such_metric', {}), (e) => e.status === 400 && /参数/.test(e.message));
  });

  test('a rejected token is answered by one new login and a retry', async () => {
    const s = api.session();
    storage.set('canmou.session', Object.assign({}, s, { token: s.token.slice(0, -4) + 'AAAA' }));
    const me = await api.me();
    assert.equal(me.user.userid, 'demo-official');
    assert.notEqual(api.session().token, s.token.slice(0, -4) + 'AAAA');
  });

  test('refresh shortly before expiry', async () => {
    const soon = createApi({ dd, baseUrl: BASE, storage, refreshMarginMs: 365 * 86400 * 1000 });
    const before = soon.session();
    await soon.me();
    const last = dd.requests.slice(-2).map((r) => r.method + ' ' + new URL(r.url).pathname);
    assert.deepEqual(last, ['POST /api/v1/auth/refresh', 'GET /api/v1/me']);
    assert.ok(nonEmpty(soon.session().token));
    assert.ok(Date.parse(soon.session().expiresAt) >= Date.parse(before.expiresAt), 'expiry moves forward');
    // The refreshed token is accepted without another login.
    const far = createApi({ dd, baseUrl: BASE, storage, refreshMarginMs: 0 });
    await far.me();
    assert.equal(dd.requests[dd.requests.length - 1].headers.Authorization, 'Bearer ' + soon.session().token);
  });

  test('an unknown auth code is invalid_auth_code', async () => {
    const other = createApi({ dd, baseUrl: BASE, storage: memoryStorage() });
    dd.authCodeOverride = 'not-a-real-code';
    try {
      await assert.rejects(other.me(), (e) => e.status === 401 && e.code === 'invalid_auth_code' && /钉钉登录失败/.test(e.message));
    } finally {
      dd.authCodeOverride = null;
    }
  });
}
