// 下载中心: tables of the current screen as Excel or CSV, opened in DingTalk's document preview
// (dd.downloadFile + dd.openDocument); recent files can be opened again.
const nav = require('../../lib/nav');
const format = require('../../lib/format');
const { toApiError } = require('../../lib/errors');

const RECENT_KEY = 'canmou.downloads';
const MAX_RECENT = 10;
const KIND_TITLES = { home: '首页指标', series: '趋势数据', breakdown: '下级排名' };
const FORMAT_TITLES = { xlsx: 'Excel', csv: 'CSV' };
// Which parameters each export takes (the same as the screen it comes from).
const KIND_PARAMS = {
  home: ['org', 'grain', 'date'],
  series: ['metric', 'org', 'grain', 'from', 'to'],
  breakdown: ['metric', 'org', 'grain', 'date', 'by'],
};

function decode(v) {
  try {
    return decodeURIComponent(v || '');
  } catch (_) {
    return v || '';
  }
}

Page({
  data: {
    subtitle: '',
    options: [],
    busy: '',
    error: null,
    recent: [],
  },

  onLoad(options) {
    const o = options || {};
    this.params = {};
    ['org', 'grain', 'date', 'metric', 'by', 'from', 'to'].forEach((k) => {
      if (o[k]) this.params[k] = decode(o[k]);
    });
    const metricName = decode(o.metricName);
    const kinds = this.params.metric ? ['series', 'breakdown'] : ['home'];
    const first = kinds.indexOf(o.kind) >= 0 ? o.kind : kinds[0];
    kinds.sort((a, b) => (a === first ? -1 : b === first ? 1 : 0));
    const options2 = [];
    kinds.forEach((kind) =>
      ['xlsx', 'csv'].forEach((fmt) =>
        options2.push({
          key: kind + '.' + fmt,
          kind,
          format: fmt,
          title: (metricName && kind !== 'home' ? metricName + ' · ' : '') + KIND_TITLES[kind],
          formatTitle: FORMAT_TITLES[fmt],
        })
      )
    );
    const parts = [decode(o.orgName), this.params.date ? format.dateLong(this.params.date) : ''].filter(Boolean);
    this.setData({
      options: options2,
      subtitle: parts.length ? parts.join(' · ') : '当前机构的最新数据',
      recent: getApp().storage.get(RECENT_KEY) || [],
    });
  },

  paramsFor(kind) {
    const out = {};
    KIND_PARAMS[kind].forEach((k) => {
      if (this.params[k]) out[k] = this.params[k];
    });
    return out;
  },

  onDownloadTap(e) {
    const { kind, format: fmt } = e.currentTarget.dataset;
    if (this.data.busy || !KIND_PARAMS[kind]) return undefined;
    const app = getApp();
    const option = this.data.options.find((x) => x.kind === kind && x.format === fmt);
    this.setData({ busy: kind + '.' + fmt, error: null });
    return app.api.download(kind, fmt, this.paramsFor(kind)).then(
      (file) => {
        const recent = [{ title: option.title, formatTitle: option.formatTitle, filePath: file.filePath, fileType: fmt, at: app.now() }]
          .concat(this.data.recent)
          .slice(0, MAX_RECENT);
        app.storage.set(RECENT_KEY, recent);
        this.setData({ busy: '', recent });
      },
      (err) => {
        const x = toApiError(err);
        this.setData({ busy: '', error: { message: x.message, retryable: x.retryable, kind, format: fmt } });
      }
    );
  },

  onRetry() {
    const e = this.data.error;
    if (!e) return undefined;
    return this.onDownloadTap({ currentTarget: { dataset: { kind: e.kind, format: e.format } } });
  },

  onOpenRecent(e) {
    const i = Number(e.currentTarget.dataset.index);
    const item = this.data.recent[i];
    if (!item) return;
    dd.openDocument({
      filePath: item.filePath,
      fileType: item.fileType,
      fail: () => {
        // Temporary files do not outlive the DingTalk session: forget it, ask for a new one.
        const recent = this.data.recent.filter((_, k) => k !== i);
        getApp().storage.set(RECENT_KEY, recent);
        this.setData({ recent });
        dd.showToast({ content: '文件已失效，请重新下载', type: 'none' });
      },
    });
  },
});
