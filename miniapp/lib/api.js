'use strict';
// The client of the server's /api/v1 over dd.httpRequest: login through DingTalk, a stored and
// refreshed token, one transparent re-login on a 401, and friendly errors. `dd` is injected so
// the same code runs in the mini-program, in unit tests (a stub) and in the contract test (a
// shim over fetch).

const { ApiError, fromHttp, fromDdFail, parseMaybeJson } = require('./errors');

const SESSION_KEY = 'canmou.session';
const EXPORT_KINDS = ['home', 'series', 'breakdown'];
const EXPORT_FORMATS = ['csv', 'xlsx'];

// 'a=1&b=x%20y' from an object; null, undefined and '' are left out.
function queryString(params) {
  const parts = [];
  Object.keys(params || {}).forEach((k) => {
    const v = params[k];
    if (v === null || v === undefined || v === '') return;
    parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(String(v)));
  });
  return parts.join('&');
}

function withQuery(url, params) {
  const qs = queryString(params);
  return qs ? url + (url.indexOf('?') >= 0 ? '&' : '?') + qs : url;
}

function createApi(options) {
  const dd = options.dd;
  const storage = options.storage;
  const baseUrl = String(options.baseUrl || '').replace(/\/+$/, '');
  const now = options.now || (() => Date.now());
  const timeout = options.timeout || 15000;
  // Refresh this long before the token expires.
  const refreshMarginMs = options.refreshMarginMs !== undefined ? options.refreshMarginMs : 5 * 60 * 1000;
  const getCorpId = () => options.corpId || (typeof options.getCorpId === 'function' && options.getCorpId()) || dd.corpId || '';

  let loginInFlight = null;
  let refreshInFlight = null;

  function loadSession() {
    const s = storage.get(SESSION_KEY);
    return s && s.token ? s : null;
  }

  function saveSession(s) {
    storage.set(SESSION_KEY, s);
  }

  function clearSession() {
    storage.remove(SESSION_KEY);
  }

  // One HTTP exchange; resolves with the parsed body, rejects with an ApiError.
  function send(method, path, opts) {
    const o = opts || {};
    const headers = { Accept: 'application/json' };
    if (o.token) headers.Authorization = 'Bearer ' + o.token;
    const req = {
      url: withQuery(baseUrl + '/api/v1' + path, method === 'GET' ? o.query : null),
      method,
      headers,
      timeout,
      dataType: 'json',
    };
    if (method === 'POST') {
      headers['Content-Type'] = 'application/json';
      req.data = JSON.stringify(o.body === undefined ? {} : o.body);
    }
    return new Promise((resolve, reject) => {
      req.success = (res) => {
        const status = res.status || res.statusCode || 200;
        const data = parseMaybeJson(res.data);
        if (status >= 400) reject(fromHttp(status, data));
        else resolve(data);
      };
      req.fail = (res) => reject(fromDdFail(res));
      try {
        dd.httpRequest(req);
      } catch (e) {
        reject(new ApiError({ code: 'client', message: '请求发送失败', serverMessage: String(e && e.message) }));
      }
    });
  }

  function getAuthCode() {
    return new Promise((resolve, reject) => {
      const fail = (err) =>
        reject(
          new ApiError({
            code: 'auth_code',
            message: '无法获取钉钉登录授权，请在钉钉中重新打开',
            serverMessage: err && (err.errorMessage || err.error) ? String(err.errorMessage || err.error) : '',
          })
        );
      try {
        dd.getAuthCode({
          corpId: getCorpId(),
          success: (res) => (res && res.authCode ? resolve(res.authCode) : fail(res)),
          fail,
        });
      } catch (e) {
        fail({ errorMessage: e && e.message });
      }
    });
  }

  // A fresh DingTalk login. Concurrent callers share one login.
  function login() {
    if (!loginInFlight) {
      loginInFlight = getAuthCode()
        .then((authCode) => send('POST', '/auth/dingtalk', { body: { authCode } }))
        .then((res) => {
          const s = { token: res.token, expiresAt: res.expiresAt, refreshToken: res.refreshToken || null, user: res.user || null };
          saveSession(s);
          return s;
        })
        .finally(() => {
          loginInFlight = null;
        });
    }
    return loginInFlight;
  }

  // Each refresh token works once and comes back replaced; one presented twice ends the
  // session on the server, so concurrent callers share one refresh.
  function refresh(session) {
    if (!session.refreshToken) return login();
    if (!refreshInFlight) {
      refreshInFlight = send('POST', '/auth/refresh', { body: { refreshToken: session.refreshToken } })
        .then((res) => {
          const s = Object.assign({}, session, { token: res.token, expiresAt: res.expiresAt, refreshToken: res.refreshToken });
          saveSession(s);
          return s;
        })
        .catch((e) => {
          if (e.status === 401) return login();
          // The network failed but the token still works for a while: carry on with it.
          if (expiresAtMs(session) > now()) return session;
          throw e;
        })
        .finally(() => {
          refreshInFlight = null;
        });
    }
    return refreshInFlight;
  }

  function expiresAtMs(session) {
    const t = Date.parse(session.expiresAt);
    return isFinite(t) ? t : 0;
  }

  // A token good for the next request: log in when there is none or it has expired, refresh
  // it shortly before it expires.
  function ensureSession() {
    const s = loadSession();
    if (!s) return login();
    const left = expiresAtMs(s) - now();
    if (left <= 0) return login();
    if (left <= refreshMarginMs) return refresh(s);
    return Promise.resolve(s);
  }

  // An authenticated call. A 401 is answered once by a new login and one retry.
  async function request(method, path, opts) {
    const session = await ensureSession();
    try {
      return await send(method, path, Object.assign({}, opts, { token: session.token }));
    } catch (e) {
      if (e.status !== 401) throw e;
      const current = loadSession();
      // Another request may already have logged in again; only log in if nobody has.
      const fresh = current && current.token !== session.token ? current : await relogin();
      return send(method, path, Object.assign({}, opts, { token: fresh.token }));
    }
  }

  function relogin() {
    clearSession();
    return login();
  }

  const get = (path, query) => request('GET', path, { query });
  const post = (path, body) => request('POST', path, { body });
  const enc = encodeURIComponent;

  function exportUrl(kind, format, params) {
    if (EXPORT_KINDS.indexOf(kind) < 0) throw new Error('unknown export: ' + kind);
    if (EXPORT_FORMATS.indexOf(format) < 0) throw new Error('unknown export format: ' + format);
    return withQuery(baseUrl + '/api/v1/exports/' + kind + '.' + format, params);
  }

  function downloadOnce(url, token) {
    return new Promise((resolve, reject) => {
      const auth = { Authorization: 'Bearer ' + token };
      dd.downloadFile({
        url,
        // downloadFile's documented key is `header`; `headers` is sent too for older clients.
        header: auth,
        headers: auth,
        success: (res) => {
          const status = res.status || res.statusCode || 200;
          if (status >= 400) return reject(fromHttp(status, null));
          const filePath = res.filePath || res.tempFilePath;
          if (!filePath) return reject(new ApiError({ code: 'download', message: '文件下载失败，请重试' }));
          resolve({ filePath, status });
        },
        fail: (res) => {
          const e = fromDdFail(res);
          if (e.code === 'unknown') e.message = '文件下载失败，请重试';
          reject(e);
        },
      });
    });
  }

  function openDocument(filePath, fileType) {
    return new Promise((resolve, reject) => {
      dd.openDocument({
        filePath,
        fileType,
        success: () => resolve(),
        fail: (res) =>
          reject(
            new ApiError({
              code: 'open_document',
              message: '无法预览该文件，请尝试下载 Excel 格式',
              serverMessage: res && res.errorMessage,
              retryable: false,
            })
          ),
      });
    });
  }

  // Download an export with the bearer token and open it in DingTalk's document preview.
  async function download(kind, format, params, opts) {
    const url = exportUrl(kind, format, params);
    const session = await ensureSession();
    let file;
    try {
      file = await downloadOnce(url, session.token);
    } catch (e) {
      if (e.status !== 401) throw e;
      file = await downloadOnce(url, (await relogin()).token);
    }
    if (!opts || opts.open !== false) await openDocument(file.filePath, format);
    return { filePath: file.filePath, status: file.status, fileType: format, url };
  }

  return {
    login,
    ensureSession,
    session: loadSession,
    logout: clearSession,
    request,
    me: () => get('/me'),
    home: (params) => get('/home', params),
    metric: (code, params) => get('/metrics/' + enc(code), params),
    series: (code, params) => get('/metrics/' + enc(code) + '/series', params),
    breakdown: (code, params) => get('/metrics/' + enc(code) + '/breakdown', params),
    org: (id) => get('/orgs/' + enc(id)),
    orgChildren: (id) => get('/orgs/' + enc(id) + '/children'),
    searchOrgs: (q) => get('/orgs', { q }),
    getBriefing: () => get('/me/briefing'),
    saveBriefing: (b) => post('/me/briefing', b),
    exportUrl,
    download,
  };
}

module.exports = { createApi, queryString, withQuery, SESSION_KEY, EXPORT_KINDS, EXPORT_FORMATS };
