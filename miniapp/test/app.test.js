'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { createFakeServer } = require('./helpers/fake-server');
const { createFakeDd } = require('./helpers/fake-dd');

const ROOT = path.join(__dirname, '..');

test('app.json lists every page, with its four files, and the three tabs', () => {
  const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'));
  assert.equal(app.pages[0], 'pages/home/index', 'home first: it opens the app and the briefing link');
  for (const p of app.pages) {
    for (const ext of ['js', 'axml', 'acss', 'json']) {
      assert.ok(fs.existsSync(path.join(ROOT, p + '.' + ext)), p + '.' + ext);
    }
    JSON.parse(fs.readFileSync(path.join(ROOT, p + '.json'), 'utf8'));
  }
  assert.deepEqual(app.tabBar.items.map((i) => [i.name, i.pagePath]), [
    ['首页', 'pages/home/index'],
    ['搜索', 'pages/orgs/index'],
    ['设置', 'pages/briefing/index'],
  ]);
});

test('every handler named in a page’s AXML exists in its page object', () => {
  const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'));
  for (const p of app.pages) {
    const axml = fs.readFileSync(path.join(ROOT, p + '.axml'), 'utf8');
    let def = null;
    global.Page = (o) => (def = o);
    const file = path.join(ROOT, p + '.js');
    delete require.cache[require.resolve(file)];
    require(file);
    const handlers = [...axml.matchAll(/\son[A-Z]\w*="(\w+)"/g)].map((m) => m[1]);
    for (const h of handlers) assert.equal(typeof def[h], 'function', p + ': ' + h);
  }
  global.Page = undefined;
});

test('app.js builds the services on launch with the corpId from the launch query', async () => {
  const server = createFakeServer();
  const dd = createFakeDd(server);
  let appDef = null;
  global.dd = dd;
  global.App = (o) => (appDef = o);
  const file = path.join(ROOT, 'app.js');
  delete require.cache[require.resolve(file)];
  require(file);
  global.App = undefined;
  const app = Object.create(appDef);
  app.onLaunch({ query: { corpId: 'ding-launch' } });
  assert.equal(typeof app.api.home, 'function');
  await app.api.ensureSession();
  assert.equal(dd.calls.getAuthCode[0].corpId, 'ding-launch');
  assert.ok(dd.calls.httpRequest[0].url.startsWith(require('../config').baseUrl + '/api/v1/auth/dingtalk'));
});
