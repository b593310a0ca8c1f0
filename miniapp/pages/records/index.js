// 明细: the records behind a number (a card's or breakdown row's `records` link), with its
// filters as chips, a search, and more rows as the list scrolls; a row opens the record.
const records = require('../../lib/records');
const { toApiError } = require('../../lib/errors');

const DEBOUNCE_MS = 300;
const PAGE = 30;

function decode(v) {
  try {
    return decodeURIComponent(String(v || ''));
  } catch (_) {
    return String(v || '');
  }
}

Page({
  data: {
    kind: 'cases',
    kindName: '办件',
    chips: [],
    q: '',
    rows: [],
    total: '',
    loading: false,
    done: false,
    error: null,
  },

  // options: { link } (a `records` link, URI-encoded) or { kind, ...filters }; `orgName` to
  // show the org chip by name.
  onLoad(options) {
    const o = options || {};
    const parsed = o.link ? records.parseLink(decode(o.link)) : null;
    const kind = parsed ? parsed.kind : records.KINDS.indexOf(o.kind) >= 0 ? o.kind : 'cases';
    const params = parsed ? parsed.params : {};
    if (!parsed) {
      Object.keys(o).forEach((k) => {
        if (k !== 'kind' && k !== 'orgName' && k !== 'link') params[k] = decode(o[k]);
      });
    }
    this.params = params;
    this.orgName = decode(o.orgName);
    this.seq = 0;
    this.timer = null;
    this.cursor = null;
    this.setData({ kind, kindName: records.KIND_NAMES[kind], chips: records.chipsOf(params, this.orgName) });
    if (typeof dd !== 'undefined' && dd.setNavigationBar) dd.setNavigationBar({ title: records.KIND_NAMES[kind] + '明细' });
    return this.reload();
  },

  onUnload() {
    clearTimeout(this.timer);
  },

  // The first page again (new filters or search).
  reload() {
    this.cursor = null;
    this.setData({ rows: [], done: false, total: '' });
    return this.load();
  },

  load() {
    if (this.data.done) return Promise.resolve();
    const seq = ++this.seq;
    const kind = this.data.kind;
    const query = Object.assign({}, this.params, {
      q: this.data.q.trim(),
      limit: PAGE,
      columns: records.PHONE_COLUMNS[kind].join(','),
      cursor: this.cursor,
    });
    this.setData({ loading: true, error: null });
    return getApp()
      .api.records(kind, query)
      .then(
        (res) => {
          if (seq !== this.seq) return;
          this.cursor = res.nextCursor || null;
          const rows = this.data.rows.concat((res.items || []).map((r) => records.rowView(kind, r)));
          const patch = { rows, loading: false, done: !res.nextCursor };
          if (res.total) patch.total = res.total.more ? res.total.count + '+' : String(res.total.count);
          this.setData(patch);
        },
        (e) => {
          if (seq !== this.seq) return;
          const err = toApiError(e);
          this.setData({ loading: false, error: { message: err.message, retryable: err.retryable } });
        }
      );
  },

  // Infinite scroll: the next page when the bottom comes into view.
  onReachBottom() {
    if (this.data.loading || this.data.done || this.data.error) return Promise.resolve();
    return this.load();
  },

  onInput(e) {
    this.setData({ q: (e.detail && e.detail.value) || '' });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.reload(), DEBOUNCE_MS);
  },

  onConfirm() {
    clearTimeout(this.timer);
    return this.reload();
  },

  onRemoveChip(e) {
    const key = e.currentTarget.dataset.key;
    this.params = records.withoutChip(this.params, key);
    this.setData({ chips: records.chipsOf(this.params, this.orgName) });
    return this.reload();
  },

  onRetry() {
    return this.load();
  },

  onOpen(e) {
    const id = e.currentTarget.dataset.id;
    dd.navigateTo({ url: '/pages/record/index?kind=' + this.data.kind + '&id=' + encodeURIComponent(id) });
  },
});
