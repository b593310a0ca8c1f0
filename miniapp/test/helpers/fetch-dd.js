'use strict';
// A `dd` shim over node's global fetch, for the contract test against a real server: auth codes
// come from the server's DingTalk sandbox, as dd.getAuthCode would return them on a phone.
// It keeps the platform's limits (GET and POST only, `headers` plural, fail codes 12/13/14/19).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function createFetchDd(opts) {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '');
  const userid = opts.userid || 'demo-official';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canmou-contract-'));
  // The downloads are read by the test that made them; nothing is left behind in the temp dir.
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  const dd = {
    corpId: 'ding-contract',
    requests: [],
    downloads: [],
    opened: [],
    authCodeOverride: null,

    getAuthCode({ success, fail }) {
      if (dd.authCodeOverride) return setImmediate(() => success({ authCode: dd.authCodeOverride }));
      fetch(baseUrl + '/sandbox/dingtalk/_sandbox/auth-codes', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ userid }),
      })
        .then(async (r) => {
          if (!r.ok) throw new Error('POST /sandbox/dingtalk/_sandbox/auth-codes answered ' + r.status + ': ' + (await r.text()));
          return r.json();
        })
        .then((j) => success({ authCode: j.authCode }), (e) => fail({ error: 3, errorMessage: e.message }));
    },

    httpRequest({ url, method, headers, data, timeout, success, fail }) {
      dd.requests.push({ url, method, headers, data });
      if (method !== 'GET' && method !== 'POST') return setImmediate(() => fail({ error: 2, errorMessage: 'method not supported: ' + method }));
      fetch(url, { method, headers, body: method === 'POST' ? data : undefined, signal: AbortSignal.timeout(timeout || 15000) }).then(
        async (r) => {
          const text = await r.text();
          const hdrs = Object.fromEntries(r.headers);
          let body = null;
          try {
            body = text ? JSON.parse(text) : null;
          } catch (_) {
            return fail({ error: r.status >= 400 ? 19 : 14, status: r.status, data: text, errorMessage: 'not JSON' });
          }
          if (r.status >= 400) return fail({ error: 19, status: r.status, data: body, headers: hdrs });
          success({ status: r.status, data: body, headers: hdrs });
        },
        (e) => fail({ error: e.name === 'TimeoutError' ? 13 : 12, errorMessage: e.message })
      );
    },

    downloadFile({ url, header, success, fail }) {
      fetch(url, { headers: header }).then(
        async (r) => {
          const bytes = Buffer.from(await r.arrayBuffer());
          files += 1;
          const filePath = path.join(dir, 'export-' + files);
          fs.writeFileSync(filePath, bytes);
          const record = { url, status: r.status, headers: Object.fromEntries(r.headers), filePath, bytes };
          dd.downloads.push(record);
          success({ filePath, statusCode: r.status });
        },
        (e) => fail({ error: 12, errorMessage: e.message })
      );
    },

    openDocument({ filePath, fileType, success }) {
      dd.opened.push({ filePath, fileType });
      setImmediate(() => success && success({}));
    },
  };
  return dd;
}

module.exports = { createFetchDd };
