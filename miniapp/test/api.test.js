'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { createApi, queryString } = require('../lib/api');
const { memoryStorage } = require('../lib/storage');
const { createFakeServer } = require('./helpers/fake-server');
const { createFakeDd, parseUrl, BASE } = require('./helpers/fake-dd');

function setup(opts) {
  const o = opts || {};
  let nowMs = Date.parse('2026-11-26T08:00:00Z');
  const clock = { now: () => nowMs, advance: (ms) => (nowMs += ms) };
  const server = createFakeServer({ now: clock.now });
  const dd = createFakeDd(server, o.dd);
  const storage = memoryStorage();
  const api = createApi({ dd, baseUrl: BASE + '/', storage, now: clock.now, corpId: o.corpId });
  const paths = () => dd.calls.httpRequest.map((r) => r.method + ' ' + parseUrl(r.url).path);
  return { server, dd, storage, api, clock, paths };
}

test('the first call logs in with the DingTalk auth code, then sends the bearer token', async () => {
  const { api, dd, paths } = setup();
  const home = await api.home();
  assert.equal(home.cards.length, 8);
  assert.deepEqual(paths(), ['POST /auth/dingtalk', 'GET /home']);
  assert.equal(dd.calls.getAuthCode[0].corpId, 'ding-corp');
  const [loginReq, homeReq] = dd.calls.httpRequest;
  assert.equal(loginReq.headers['Content-Type'], 'application/json');
  assert.equal(loginReq.data, JSON.stringify({ authCode: 'code-1' }));
  assert.equal(homeReq.headers.Authorization, 'Bearer jwt-1');
  assert.equal(homeReq.data, undefined, 'GET sends no body');
  assert.equal(api.session().user.userid, 'demo-official');
});

test('the configured corpId wins over dd.corpId', async () => {
  const { api, dd } = setup({ corpId: 'ding-configured' });
  await api.me();
  assert.equal(dd.calls.getAuthCode[0].corpId, 'ding-configured');
});

test('GET parameters go in the query string, empty ones left out', async () => {
  const { api, dd } = setup();
  await api.breakdown('collab.active_rate', { org: 'c1', grain: 'week', date: '2026-11-23', by: 'region', order: 'desc', limit: 10, q: '' });
  const req = dd.calls.httpRequest[1];
  assert.equal(req.method, 'GET');
  assert.equal(
    req.url,
    BASE + '/api/v1/metrics/collab.active_rate/breakdown?org=c1&grain=week&date=2026-11-23&by=region&order=desc&limit=10'
  );
  assert.equal(queryString({ q: '明州', x: null, y: undefined }), 'q=%E6%98%8E%E5%B7%9E');
});

test('the token is reused from storage across clients and refreshed shortly before it expires', async () => {
  const { api, server, dd, storage, clock, paths } = setup();
  await api.me();
  // A second client (the app restarted) finds the stored token.
  const again = createApi({ dd, baseUrl: BASE, storage, now: clock.now });
  await again.me();
  assert.deepEqual(paths(), ['POST /auth/dingtalk', 'GET /me', 'GET /me']);

  clock.advance(server.tokenTtlMs - 60 * 1000); // one minute left
  await api.me();
  assert.deepEqual(paths().slice(3), ['POST /auth/refresh', 'GET /me']);
  // The refresh presents the refresh token, not the access token, and keeps the new one.
  assert.equal(dd.calls.httpRequest[3].headers.Authorization, undefined);
  assert.equal(JSON.parse(dd.calls.httpRequest[3].data).refreshToken, 'refresh-1');
  assert.equal(dd.calls.httpRequest[4].headers.Authorization, 'Bearer jwt-2');
  assert.equal(api.session().token, 'jwt-2');
  assert.equal(api.session().refreshToken, 'refresh-2');
  assert.equal(api.session().user.name, '王明', 'the user survives a refresh');

  // A refresh token is good once: the next refresh uses the new one and still works.
  clock.advance(server.tokenTtlMs - 60 * 1000);
  await api.me();
  assert.equal(api.session().token, 'jwt-3');
});

test('an expired stored token means a new login, not a refresh', async () => {
  const { api, server, clock, paths } = setup();
  await api.me();
  clock.advance(server.tokenTtlMs + 1000);
  await api.me();
  assert.deepEqual(paths(), ['POST /auth/dingtalk', 'GET /me', 'POST /auth/dingtalk', 'GET /me']);
});

test('a refresh that fails on the network keeps the still-valid token', async () => {
  const { api, server, clock, paths } = setup();
  await api.me();
  clock.advance(server.tokenTtlMs - 60 * 1000);
  server.fault('/auth/refresh', { fail: { error: 12 } });
  await api.me();
  assert.deepEqual(paths(), ['POST /auth/dingtalk', 'GET /me', 'POST /auth/refresh', 'GET /me']);
  assert.equal(api.session().token, 'jwt-1');
});

for (const mode of ['fail19', 'success']) {
  test(`a 401 is answered by one new login and one retry (HTTP errors via ${mode})`, async () => {
    const { api, server, paths } = setup({ dd: { httpErrorMode: mode } });
    await api.me();
    server.revokeAll(); // e.g. the server's signing key rotated
    const me = await api.me();
    assert.equal(me.user.userid, 'demo-official');
    assert.deepEqual(paths(), ['POST /auth/dingtalk', 'GET /me', 'GET /me', 'POST /auth/dingtalk', 'GET /me']);
  });
}

test('a second 401 after the retry is not retried again', async () => {
  const { api, server, paths } = setup();
  await api.me();
  server.fault('/me', { status: 401, data: { error: 'unauthenticated', message: 'no', requestId: 'r' } }, 2);
  await assert.rejects(api.me(), (e) => e.status === 401 && e.code === 'unauthenticated' && /登录/.test(e.message));
  assert.deepEqual(paths(), ['POST /auth/dingtalk', 'GET /me', 'GET /me', 'POST /auth/dingtalk', 'GET /me']);
});

test('concurrent requests share one login', async () => {
  const { api, paths } = setup();
  await Promise.all([api.me(), api.home(), api.getBriefing()]);
  assert.equal(paths().filter((p) => p === 'POST /auth/dingtalk').length, 1);
});

test('concurrent 401s lead to a single new login', async () => {
  const { api, server, paths } = setup();
  await api.me();
  server.revokeAll();
  await Promise.all([api.me(), api.home()]);
  assert.equal(paths().filter((p) => p === 'POST /auth/dingtalk').length, 2);
});

test('a failing getAuthCode becomes a friendly error', async () => {
  const { api, dd } = setup();
  dd.authCodeFails = 1;
  await assert.rejects(api.me(), (e) => e.code === 'auth_code' && /钉钉/.test(e.message));
});

test('a rejected auth code is reported as invalid_auth_code', async () => {
  const { api, server } = setup();
  server.fault('/auth/dingtalk', { status: 401, data: { error: 'invalid_auth_code', message: '40078', requestId: 'r9' } });
  await assert.rejects(api.me(), (e) => e.code === 'invalid_auth_code' && e.requestId === 'r9' && /钉钉登录失败/.test(e.message));
});

test('dd.httpRequest fail codes map to friendly Chinese messages', async (t) => {
  const cases = [
    [11, 'domain_not_trusted', /安全域名/, false, false],
    [12, 'network', /网络/, true, true],
    [13, 'timeout', /超时/, true, true],
    [14, 'decode', /解析/, true, false],
    [19, 'http_error', /服务器/, true, false],
  ];
  for (const [error, code, re, retryable, offline] of cases) {
    await t.test('fail ' + error, async () => {
      const { api, server } = setup();
      await api.me();
      server.fault('/home', { fail: { error, errorMessage: 'x' } });
      await assert.rejects(api.home(), (e) => {
        assert.equal(e.code, code);
        assert.match(e.message, re);
        assert.equal(e.retryable, retryable);
        assert.equal(e.offline, offline);
        return true;
      });
    });
  }
});

test('server error codes map to messages; invalid_parameter names the parameter', async () => {
  const { api, server } = setup();
  await assert.rejects(api.home({ grain: 'decade' }), (e) => e.status === 400 && e.code === 'invalid_parameter' && e.param === 'grain' && /参数.*grain/.test(e.message) && !e.retryable);
  await assert.rejects(api.home({ org: 'c2' }), (e) => e.code === 'out_of_scope' && /权限/.test(e.message));
  server.fault('/home', { status: 503, data: { error: 'upstream_unavailable', message: 'x', requestId: 'r' } });
  await assert.rejects(api.home(), (e) => e.code === 'upstream_unavailable' && e.retryable);
  server.fault('/home', { status: 502, data: '<html>bad gateway</html>' });
  await assert.rejects(api.home(), (e) => e.code === 'http_502' && /服务器繁忙/.test(e.message));
});

test('POST /me/briefing sends a JSON string body', async () => {
  const { api, dd } = setup();
  const saved = await api.saveBriefing({ enabled: false, time: '09:15', includeWeekends: true });
  assert.deepEqual(saved, { enabled: false, time: '09:15', includeWeekends: true });
  const req = dd.calls.httpRequest[1];
  assert.equal(req.method, 'POST');
  assert.equal(typeof req.data, 'string');
  assert.deepEqual(JSON.parse(req.data), { enabled: false, time: '09:15', includeWeekends: true });
});

test('download fetches the export with the bearer token and opens it in the document preview', async () => {
  const { api, dd } = setup();
  const res = await api.download('breakdown', 'xlsx', { metric: 'collab.dau', org: 'c1', by: 'region' });
  assert.equal(res.filePath, 'ddfile://tmp/export-1');
  const dl = dd.calls.downloadFile[0];
  assert.equal(dl.url, BASE + '/api/v1/exports/breakdown.xlsx?metric=collab.dau&org=c1&by=region');
  assert.equal(dl.header.Authorization, 'Bearer jwt-1');
  assert.deepEqual(dd.calls.openDocument.map((a) => [a.filePath, a.fileType]), [['ddfile://tmp/export-1', 'xlsx']]);
  assert.throws(() => api.exportUrl('everything', 'csv'), /unknown export/);
});

test('a download answered 401 logs in again once', async () => {
  const { api, server, dd } = setup();
  await api.me();
  server.revokeAll();
  await api.download('home', 'csv', {});
  assert.deepEqual(dd.calls.downloadFile.map((d) => d.header.Authorization), ['Bearer jwt-1', 'Bearer jwt-2']);
});

test('a failed document preview says so', async () => {
  const { api } = setup({ dd: { openFail: true } });
  await assert.rejects(api.download('home', 'csv', {}), (e) => e.code === 'open_document' && /预览/.test(e.message));
});
