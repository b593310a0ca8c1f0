// 搜索: find an org within the user's scope and open it on the home tab.
const nav = require('../../lib/nav');
const { toApiError } = require('../../lib/errors');

const DEBOUNCE_MS = 300;

Page({
  data: {
    q: '',
    results: [],
    searching: false,
    searched: false,
    error: null,
    scopes: [],
  },

  onLoad() {
    this.seq = 0;
    this.timer = null;
    return getApp()
      .api.me()
      .then(
        (me) => this.setData({ scopes: (me.scopes || []).map((s) => ({ id: String(s.id), name: s.name })) }),
        () => {
          // the search still works; scopes are only a shortcut
        }
      );
  },

  onUnload() {
    clearTimeout(this.timer);
  },

  onInput(e) {
    const q = e.detail.value || '';
    this.setData({ q });
    clearTimeout(this.timer);
    if (!q.trim()) {
      this.seq++;
      this.setData({ results: [], searched: false, searching: false, error: null });
      return;
    }
    this.timer = setTimeout(() => this.search(), DEBOUNCE_MS);
  },

  onConfirm() {
    clearTimeout(this.timer);
    return this.search();
  },

  onClear() {
    return this.onInput({ detail: { value: '' } });
  },

  search() {
    const q = this.data.q.trim();
    if (!q) return Promise.resolve();
    const seq = ++this.seq;
    this.setData({ searching: true, error: null });
    return getApp()
      .api.searchOrgs(q)
      .then(
        (res) => {
          if (seq !== this.seq) return;
          const results = (res.items || []).map((o) => ({ id: String(o.id), name: o.name, pathNames: o.pathNames || '' }));
          this.setData({ results, searching: false, searched: true });
        },
        (e) => {
          if (seq !== this.seq) return;
          const err = toApiError(e);
          this.setData({ searching: false, error: { message: err.message, retryable: err.retryable } });
        }
      );
  },

  onRetry() {
    return this.search();
  },

  onSelect(e) {
    const d = e.currentTarget.dataset;
    if (!d.id) return;
    nav.setPendingOrg(getApp().storage, { id: d.id, name: d.name });
    dd.switchTab({ url: '/pages/home/index' });
  },
});
