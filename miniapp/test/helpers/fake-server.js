'use strict';
// An in-memory stand-in for the Canmou server's /api/v1, answering the requests a stub dd
// receives. Small demo fixtures: a province, two cities, districts under the first city.

const ORGS = {
  p1: { id: 'p1', name: '东海省', kind: 'region', level: 1, parentId: null },
  c1: { id: 'c1', name: '明州市', kind: 'region', level: 2, parentId: 'p1' },
  c2: { id: 'c2', name: '临海市', kind: 'region', level: 2, parentId: 'p1' },
  d1: { id: 'd1', name: '海曙区', kind: 'region', level: 3, parentId: 'c1' },
  d2: { id: 'd2', name: '江北区', kind: 'region', level: 3, parentId: 'c1' },
};

const METRICS = [
  ['collab.active_rate', '活跃率', '%', 'up', 0.8, 0.79],
  ['collab.activation_rate', '激活率', '%', 'up', 0.95, 0.96],
  ['collab.dau', '活跃人数', '人', 'up', 123456, 120000],
  ['collab.msg_total', '消息总数', '条', 'up', 2345678, 2400000],
  ['service.on_time_rate', '按时办结率', '%', 'up', 0.99, 0.98],
  ['service.overdue_cases', '超期办件数', '件', 'down', 12, 15],
  ['service.good_rate', '好评率', '%', 'up', 0.997, 0.997],
  ['mobile.uv', '访客数', '人', 'up', null, null],
];

function breadcrumb(id) {
  const out = [];
  for (let o = ORGS[id]; o; o = ORGS[o.parentId]) out.unshift({ id: o.id, name: o.name });
  return out;
}

function children(id) {
  return Object.values(ORGS).filter((o) => o.parentId === id);
}

function display(v, unit) {
  if (v === null) return '—';
  return unit === '%' ? (v * 100).toFixed(1) + '%' : String(v) + unit;
}

function card(m, i, org) {
  const [code, title, unit, direction, value, prev] = m;
  const scale = org === 'p1' ? 1 : 0.5;
  const v = value === null ? null : unit === '%' ? value : value * scale;
  const p = prev === null ? null : unit === '%' ? prev : prev * scale;
  const delta = v === null || p === null ? null : v - p;
  return {
    id: 'card-' + (i + 1),
    metric: code,
    title,
    unit,
    value: v,
    display: display(v, unit),
    prev: p,
    delta,
    deltaPct: delta === null || !p ? null : (delta / p) * 100,
    deltaDisplay: delta === null ? null : (delta >= 0 ? '+' : '') + (unit === '%' ? (delta * 100).toFixed(1) + '个百分点' : delta + unit),
    yoy: null,
    yoyDelta: null,
    yoyDeltaPct: null,
    target: code === 'collab.active_rate' ? 0.98 : null,
    attainment: code === 'collab.active_rate' ? 0.82 : null,
    comparison: 'prev',
    direction,
    good: delta === null || delta === 0 ? null : direction === 'up' ? delta > 0 : delta < 0,
    spark: [1, 2, null, 3],
    rank: 3,
    peers: 11,
    status: v === null ? 'nodata' : code === 'collab.dau' ? 'late' : 'ok',
  };
}

function periodOf(q) {
  const grain = q.grain || 'day';
  const start = q.date || '2026-11-26';
  return { grain, start, end: start, label: start, partial: start > '2026-11-26' };
}

function err(status, error, extra) {
  return { status, data: Object.assign({ error, message: error, requestId: 'req-1' }, extra) };
}

function createFakeServer(opts) {
  const o = opts || {};
  const server = {
    now: o.now || (() => Date.parse('2026-11-26T08:00:00Z')),
    tokenTtlMs: o.tokenTtlMs || 2 * 3600 * 1000,
    tokens: new Map(),
    refreshTokens: new Set(),
    usedCodes: new Set(),
    faults: [],
    requests: [],
    briefing: { enabled: true, time: '08:30', includeWeekends: false },
    issued: 0,
  };

  function mint() {
    server.issued += 1;
    const token = 'jwt-' + server.issued;
    const expiresAt = new Date(server.now() + server.tokenTtlMs).toISOString();
    server.tokens.set(token, Date.parse(expiresAt));
    const refreshToken = 'refresh-' + server.issued;
    server.refreshTokens.add(refreshToken);
    return { token, expiresAt, refreshToken };
  }

  // Make the next `times` requests whose path starts with `prefix` answer `answer`
  // ({status, data} or {fail: {error}}).
  server.fault = (prefix, answer, times) => server.faults.push({ prefix, answer, times: times || 1 });
  server.revokeAll = () => { server.tokens.clear(); server.refreshTokens.clear(); };

  server.handle = (req) => {
    server.requests.push(req);
    const fault = server.faults.find((f) => req.path.indexOf(f.prefix) === 0 && f.times > 0);
    if (fault) {
      fault.times -= 1;
      return fault.answer;
    }
    const q = req.query;
    const body = req.body;
    if (req.method === 'POST' && req.path === '/auth/dingtalk') {
      if (!body || !body.authCode || server.usedCodes.has(body.authCode) || !/^code-/.test(body.authCode)) {
        return err(401, 'invalid_auth_code');
      }
      server.usedCodes.add(body.authCode);
      const t = mint();
      return { status: 200, data: Object.assign(t, { user: { id: 'u1', userid: 'demo-official', name: '王明', title: '市长', role: 'viewer' } }) };
    }
    if (req.method === 'POST' && req.path === '/auth/refresh') {
      // As the server: a refresh token works once, then is replaced.
      const presented = body && body.refreshToken;
      if (!presented || !server.refreshTokens.has(presented)) return err(401, 'unauthenticated');
      server.refreshTokens.delete(presented);
      return { status: 200, data: mint() };
    }
    const auth = (req.headers.Authorization || '').replace(/^Bearer /, '');
    const exp = server.tokens.get(auth);
    if (!exp || exp <= server.now()) return err(401, 'unauthenticated');
    if (req.method === 'GET' && req.path === '/me') {
      return {
        status: 200,
        data: {
          user: { id: 'u1', userid: 'demo-official', name: '王明', title: '市长', role: 'viewer' },
          scopes: [{ id: 'c1', name: '明州市', path: '/p1/c1', kind: 'region', level: 2 }],
          cardSet: { id: 'cs1', name: '市级领导', version: 3, defaultGrain: 'day' },
          briefing: server.briefing,
        },
      };
    }
    if (req.method === 'GET' && req.path === '/home') {
      const orgId = q.org || 'c1';
      if (!ORGS[orgId]) return err(404, 'not_found');
      if (orgId === 'c2') return err(403, 'out_of_scope');
      if (q.grain && ['day', 'week', 'month', 'quarter', 'year'].indexOf(q.grain) < 0) return err(400, 'invalid_parameter', { param: 'grain' });
      const org = ORGS[orgId];
      return {
        status: 200,
        data: {
          asOf: '2026-11-26',
          period: periodOf(q),
          org: Object.assign({}, org, { path: '/' + breadcrumb(orgId).map((c) => c.id).join('/'), breadcrumb: breadcrumb(orgId) }),
          cardSet: { id: 'cs1', name: '市级领导', version: 3 },
          cards: METRICS.map((m, i) => card(m, i, orgId)),
        },
      };
    }
    let m = /^\/metrics\/([^/]+)(\/series|\/breakdown)?$/.exec(req.path);
    if (req.method === 'GET' && m) {
      const code = decodeURIComponent(m[1]);
      const i = METRICS.findIndex((x) => x[0] === code);
      if (i < 0) return err(400, 'invalid_parameter', { param: 'code' });
      const [, name, unit, direction] = METRICS[i];
      const metric = { code, name, unit, kind: 'ratio', direction, precision: 1, description: name + '的说明' };
      const orgId = q.org || 'c1';
      const points = ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26'].map((d, k) => {
        const v = k === 2 ? null : 0.7 + k * 0.02;
        return { start: d, label: d.slice(5), value: v, display: display(v, unit) };
      });
      const items = children(orgId).map((c, k) => ({
        org: { id: c.id, name: c.name, kind: c.kind },
        value: 0.9 - k * 0.1,
        display: display(0.9 - k * 0.1, unit),
        rank: k + 1,
        prev: 0.85,
        delta: 0.05 - k * 0.1,
        deltaPct: 5.9 - k * 11,
        good: k === 0,
        drillable: children(c.id).length > 0,
      }));
      if (q.order === 'asc') items.reverse();
      const by = q.by || 'region';
      if (m[2] === '/breakdown') {
        return {
          status: 200,
          data: { metric, org: Object.assign({}, ORGS[orgId], { breadcrumb: breadcrumb(orgId) }), period: periodOf(q), by, items: by === 'department' ? [] : items, total: items.length },
        };
      }
      if (m[2] === '/series') return { status: 200, data: { metric, org: ORGS[orgId], grain: q.grain || 'day', points } };
      return { status: 200, data: { metric, card: card(METRICS[i], i, orgId), series: { points }, breakdown: { by: 'region', items } } };
    }
    m = /^\/orgs\/([^/]+)(\/children)?$/.exec(req.path);
    if (req.method === 'GET' && m) {
      const org = ORGS[m[1]];
      if (!org) return err(404, 'not_found');
      if (m[2]) return { status: 200, data: { items: children(org.id).map((c) => Object.assign({ childCount: children(c.id).length }, c)) } };
      return { status: 200, data: Object.assign({ breadcrumb: breadcrumb(org.id), childCount: children(org.id).length, path: '' }, org) };
    }
    if (req.method === 'GET' && req.path === '/orgs') {
      const items = Object.values(ORGS)
        .filter((x) => q.q && x.name.indexOf(q.q) >= 0)
        .map((x) => ({ id: x.id, name: x.name, kind: x.kind, level: x.level, pathNames: breadcrumb(x.id).map((c) => c.name).join(' / ') }));
      return { status: 200, data: { items } };
    }
    if (req.path === '/me/briefing') {
      if (req.method === 'GET') return { status: 200, data: server.briefing };
      if (!/^\d{2}:(00|15|30|45)$/.test(body.time)) return err(400, 'invalid_parameter', { param: 'time' });
      server.briefing = { enabled: body.enabled, time: body.time, includeWeekends: body.includeWeekends };
      return { status: 200, data: server.briefing };
    }
    return err(404, 'not_found');
  };

  return server;
}

module.exports = { createFakeServer, ORGS, METRICS };
