'use strict';
// A stub of the `dd` global: httpRequest answered by a fake server, auth codes, storage,
// navigation, toasts, pickers, canvas and downloads — each call recorded for assertions.

const BASE = 'https://canmou.test';

function parseUrl(url) {
  const u = new URL(url);
  const query = {};
  u.searchParams.forEach((v, k) => (query[k] = v));
  return { path: u.pathname.replace(/^\/api\/v1/, ''), query, origin: u.origin };
}

function createFakeDd(server, opts) {
  const o = opts || {};
  const store = new Map();
  const calls = {};
  const record = (name, arg) => (calls[name] = calls[name] || []).push(arg);
  // How an HTTP error status reaches the page: DingTalk answers `fail` with error 19 (and,
  // on current clients, the status and body); older ones call `success` with the status.
  const httpErrorMode = o.httpErrorMode || 'fail19';
  let codes = 0;

  const later = (fn) => setImmediate(fn);

  const dd = {
    corpId: 'ding-corp',
    calls,
    store,
    nextDate: null,
    authCodeFails: 0,
    downloads: [],
    httpRequest(req) {
      record('httpRequest', req);
      const { path, query } = parseUrl(req.url);
      const body = req.method === 'POST' && req.data ? JSON.parse(req.data) : null;
      const answer = server.handle({ method: req.method, path, query, headers: req.headers || {}, body, raw: req });
      later(() => {
        if (answer.fail) return req.fail(answer.fail);
        if (answer.status >= 400 && httpErrorMode === 'fail19') {
          return req.fail({ error: 19, errorMessage: 'http status error', status: answer.status, data: answer.data });
        }
        req.success({ status: answer.status, data: answer.data, headers: {} });
      });
    },
    getAuthCode(arg) {
      record('getAuthCode', arg);
      later(() => {
        if (dd.authCodeFails > 0) {
          dd.authCodeFails -= 1;
          return arg.fail({ error: 3, errorMessage: 'no corp' });
        }
        codes += 1;
        arg.success({ authCode: 'code-' + codes });
      });
    },
    getStorageSync({ key }) {
      return { data: store.has(key) ? JSON.parse(store.get(key)) : null };
    },
    setStorageSync({ key, data }) {
      store.set(key, JSON.stringify(data));
    },
    removeStorageSync({ key }) {
      store.delete(key);
    },
    navigateTo(arg) {
      record('navigateTo', arg.url);
    },
    navigateBack(arg) {
      record('navigateBack', arg || {});
    },
    switchTab(arg) {
      record('switchTab', arg.url);
    },
    stopPullDownRefresh() {
      record('stopPullDownRefresh', true);
    },
    showToast(arg) {
      record('showToast', arg);
    },
    showLoading(arg) {
      record('showLoading', arg);
    },
    hideLoading() {
      record('hideLoading', true);
    },
    setNavigationBar(arg) {
      record('setNavigationBar', arg);
    },
    datePicker(arg) {
      record('datePicker', arg);
      later(() => (dd.nextDate ? arg.success({ date: dd.nextDate }) : arg.fail && arg.fail({ error: 11 })));
    },
    getSystemInfoSync() {
      return { windowWidth: 360, windowHeight: 640, pixelRatio: 3 };
    },
    createCanvasContext(id) {
      const ops = [];
      const ctx = new Proxy({ ops }, {
        get: (t, name) => (name === 'ops' ? ops : (...args) => ops.push([name].concat(args))),
      });
      record('createCanvasContext', { id, ctx });
      return ctx;
    },
    downloadFile(arg) {
      record('downloadFile', arg);
      const { path, query } = parseUrl(arg.url);
      const auth = (arg.header || {}).Authorization || '';
      const token = auth.replace(/^Bearer /, '');
      later(() => {
        if (o.downloadFail) return arg.fail(o.downloadFail);
        const exp = server.tokens.get(token);
        if (!exp || exp <= server.now()) return arg.success({ statusCode: 401, filePath: '' });
        dd.downloads.push({ path, query });
        arg.success({ statusCode: 200, filePath: 'ddfile://tmp/export-' + dd.downloads.length });
      });
    },
    openDocument(arg) {
      record('openDocument', arg);
      later(() => (o.openFail ? arg.fail && arg.fail({ error: 1, errorMessage: 'unsupported' }) : arg.success && arg.success({})));
    },
  };
  return dd;
}

module.exports = { createFakeDd, parseUrl, BASE };
