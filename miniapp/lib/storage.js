'use strict';
// Key-value storage over dd's sync storage API, and an in-memory one for tests and for phones
// where storage fails. Values are stored as-is (dd serialises them).

function ddStorage(dd) {
  return {
    get(key) {
      try {
        const res = dd.getStorageSync({ key });
        return res && res.data !== undefined && res.data !== '' ? res.data : null;
      } catch (_) {
        return null;
      }
    },
    set(key, data) {
      try {
        dd.setStorageSync({ key, data });
      } catch (_) {
        // storage full or unavailable: the app still works, only without the offline copy
      }
    },
    remove(key) {
      try {
        dd.removeStorageSync({ key });
      } catch (_) {
        // nothing to do
      }
    },
  };
}

function memoryStorage(initial) {
  const map = new Map(Object.entries(initial || {}));
  return {
    get: (key) => (map.has(key) ? JSON.parse(JSON.stringify(map.get(key))) : null),
    set: (key, data) => map.set(key, JSON.parse(JSON.stringify(data))),
    remove: (key) => map.delete(key),
    keys: () => Array.from(map.keys()),
  };
}

module.exports = { ddStorage, memoryStorage };
