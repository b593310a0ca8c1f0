'use strict';
// Everything a page needs from outside itself, built once by app.js (or by a test with a stub
// dd): the API client, storage, the offline home cache and the clock.

const { createApi } = require('./api');
const { ddStorage } = require('./storage');
const { createHomeCache } = require('./home-cache');

function createServices(opts) {
  const now = opts.now || (() => Date.now());
  const storage = opts.storage || ddStorage(opts.dd);
  const api = createApi({
    dd: opts.dd,
    baseUrl: opts.baseUrl,
    storage,
    corpId: opts.corpId,
    getCorpId: opts.getCorpId,
    now,
    timeout: opts.timeout,
  });
  return { api, storage, homeCache: createHomeCache(storage, now), now, dd: opts.dd };
}

module.exports = { createServices };
