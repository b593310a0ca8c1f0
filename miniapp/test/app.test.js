'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { createFakeServer } = require('./helpers/fake-server');
const { createFakeDd } = require('./helpers/fake-dd');

const ROOT = path.join(__dirname, '..');

test('app.json lists every page, with its four files, and the four tabs', () => {
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
    ['指标', 'pages/boards/index'],
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

test('the developer tool uploads the app, not its tests or node-only helpers', () => {
  const project = JSON.parse(fs.readFileSync(path.join(ROOT, 'mini.project.json'), 'utf8'));
  assert.equal(project.miniprogramRoot, './');
  for (const key of ['uploadExclude', 'exclude']) {
    assert.ok(project[key].includes('test/**'), key);
    assert.ok(project[key].includes('package.json'), key);
  }
  // Nothing the app loads lives under test/.
  const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'));
  const files = ['app.js', 'config.js'].concat(app.pages.map((p) => p + '.js'));
  for (const f of files) {
    const src = fs.readFileSync(path.join(ROOT, f), 'utf8');
    assert.ok(!/require\(['"][./]*test\//.test(src), f + ' requires something under test/');
    assert.ok(!/require\(['"]node:/.test(src), f + ' requires a node module');
  }
});
