// One record (办件 / 事项 / 目录) with its item and catalogue entry.
const records = require('../../lib/records');
const { toApiError } = require('../../lib/errors');

Page({
  data: { kindName: '', fields: [], item: [], catalog: [], loading: true, error: null },

  onLoad(options) {
    const o = options || {};
    this.kind = records.KINDS.indexOf(o.kind) >= 0 ? o.kind : 'cases';
    this.id = decodeURIComponent(String(o.id || ''));
    this.setData({ kindName: records.KIND_NAMES[this.kind] });
    return this.load();
  },

  load() {
    this.setData({ loading: true, error: null });
    return getApp()
      .api.record(this.kind, this.id)
      .then(
        (res) => {
          const cols = res.columns || [];
          // The item's and the catalogue entry's own columns are not sent: name and code suffice.
          const brief = (r) =>
            r
              ? [
                  { key: 'name', label: '名称', text: r.name || '—' },
                  { key: 'code', label: '编码', text: r.code || '—' },
                  { key: 'org', label: '机构', text: r.org || '—' },
                ]
              : [];
          this.setData({
            loading: false,
            fields: records.fieldsOf(cols, res.record),
            item: brief(res.item),
            catalog: brief(res.catalog),
          });
        },
        (e) => {
          const err = toApiError(e);
          this.setData({ loading: false, error: { message: err.message, retryable: err.retryable } });
        }
      );
  },

  onRetry() {
    return this.load();
  },
});
