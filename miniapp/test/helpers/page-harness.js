'use strict';
// Loads a page module under a stub `Page` / `getApp` / `dd`, and gives back an instance whose
// setData merges into `data` like the mini-program runtime (including 'a.b' and 'a[0].b' keys).

const path = require('node:path');
const { createFakeServer } = require('./fake-server');
const { createFakeDd, BASE } = require('./fake-dd');
const { createServices } = require('../../lib/services');
const { memoryStorage } = require('../../lib/storage');

const ROOT = path.join(__dirname, '..', '..');

function setPath(obj, key, value) {
  const parts = key.replace(/\[(\d+)\]/g, '.$1').split('.');
  let cur = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    if (cur[parts[i]] === undefined || cur[parts[i]] === null) cur[parts[i]] = /^\d+$/.test(parts[i + 1]) ? [] : {};
    cur = cur[parts[i]];
  }
  cur[parts[parts.length - 1]] = value;
}

// A fresh world: fake server, stub dd, services, and the globals a page module expects.
function createWorld(opts) {
  const o = opts || {};
  const server = o.server || createFakeServer({ now: o.now });
  const dd = createFakeDd(server, o.dd);
  const storage = o.storage || memoryStorage();
  const services = createServices({ dd, baseUrl: BASE, storage, now: o.now || server.now });
  const app = Object.assign({ corpId: 'ding-corp' }, services);
  global.dd = dd;
  global.getApp = () => app;
  return { server, dd, storage, app, api: services.api };
}

function loadPage(name, world) {
  const file = path.join(ROOT, 'pages', name, 'index.js');
  let def = null;
  global.Page = (obj) => {
    def = obj;
  };
  delete require.cache[require.resolve(file)];
  require(file);
  global.Page = undefined;
  if (!def) throw new Error('page ' + name + ' did not call Page()');
  const page = Object.create(null);
  Object.keys(def).forEach((k) => {
    page[k] = typeof def[k] === 'function' ? def[k].bind(page) : def[k];
  });
  page.data = JSON.parse(JSON.stringify(def.data || {}));
  page.setData = (patch, cb) => {
    Object.keys(patch).forEach((k) => setPath(page.data, k, patch[k]));
    if (cb) cb();
  };
  page.world = world;
  return page;
}

// A tap event as the runtime builds it from data-* attributes.
function tap(dataset, detail) {
  return { type: 'tap', currentTarget: { dataset: dataset || {} }, target: { dataset: dataset || {} }, detail: detail || {} };
}

const flush = () => new Promise((r) => setImmediate(r));

module.exports = { createWorld, loadPage, tap, flush, setPath };
