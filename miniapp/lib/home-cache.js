'use strict';
// The last good home screens, kept in storage so that a phone offline (or a server down) still
// shows numbers — marked stale, with their asOf and when they were fetched.

const INDEX_KEY = 'canmou.home.index';
const PREFIX = 'canmou.home.';
const MAX_ENTRIES = 8;

function keyOf(query) {
  const q = query || {};
  return [q.org || '-', q.grain || '-', q.date || '-'].join('|');
}

function createHomeCache(storage, now) {
  const clock = now || (() => Date.now());

  function save(query, home) {
    const key = keyOf(query);
    storage.set(PREFIX + key, { savedAt: clock(), home });
    const index = (storage.get(INDEX_KEY) || []).filter((k) => k !== key);
    index.unshift(key);
    index.slice(MAX_ENTRIES).forEach((k) => storage.remove(PREFIX + k));
    storage.set(INDEX_KEY, index.slice(0, MAX_ENTRIES));
  }

  // The cached screen for exactly this query, or else the most recent one (`exact: false`).
  function load(query) {
    const exact = storage.get(PREFIX + keyOf(query));
    if (exact && exact.home) return Object.assign({ exact: true }, exact);
    const index = storage.get(INDEX_KEY) || [];
    for (let i = 0; i < index.length; i++) {
      const entry = storage.get(PREFIX + index[i]);
      if (entry && entry.home) return Object.assign({ exact: false }, entry);
    }
    return null;
  }

  return { save, load };
}

module.exports = { createHomeCache, keyOf };
