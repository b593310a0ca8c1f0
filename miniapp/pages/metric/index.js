// 指标详情: the card with its comparisons, the trend on a canvas, the ranking of child orgs with
// drill-down and a breadcrumb back up (never out of scope), and 晾晒: the org among its peers.
// One request renders the page; only the ranking's dimension and order toggles ask again.
const format = require('../../lib/format');
const period = require('../../lib/period');
const trend = require('../../lib/trend');
const nav = require('../../lib/nav');
const { toApiError } = require('../../lib/errors');

const GRAIN_NAMES = { day: '日', week: '周', month: '月', quarter: '季度', year: '年' };

// 晾晒: the org among its peers, ranked, its own row marked.
function peerRows(items, mine) {
  return format.rankingRows(items).map((r) => Object.assign(r, { mine: r.id === mine, drillable: false }));
}

function decode(v) {
  try {
    return decodeURIComponent(v || '');
  } catch (_) {
    return v || '';
  }
}

Page({
  data: {
    loading: true,
    error: null,
    metric: null,
    card: null,
    rows: [],
    periodLabel: '',
    partial: false,
    chartEmpty: false,
    breadcrumb: [],
    ranking: [],
    rankingLoading: false,
    rankingError: null,
    by: 'region',
    byOptions: [],
    order: 'desc',
    peers: [],
    grainNames: period.GRAINS.map((g) => GRAIN_NAMES[g]),
    grainIndex: 0,
  },

  onLoad(options) {
    const o = options || {};
    this.code = decode(o.code);
    this.sel = nav.selectionFromOptions(o);
    this.dateChosen = false;
    this.stack = this.sel.org ? [this.sel.org] : [];
    this.seq = 0;
    this.rankSeq = 0;
    this.trend = null;
    return this.load();
  },

  onPullDownRefresh() {
    return this.load().then(() => dd.stopPullDownRefresh());
  },

  params() {
    return nav.queryOf(this.sel);
  },

  rankingParams() {
    return Object.assign(this.params(), { by: this.data.by, order: this.data.order });
  },

  load() {
    const api = getApp().api;
    const seq = ++this.seq;
    this.rankSeq++; // a pending ranking-only reload is superseded
    this.setData({ loading: true });
    // The caller's scopes decide which crumbs link; `/me` is asked once a session.
    const me = api.meOnce ? api.meOnce().catch(() => null) : Promise.resolve(null);
    return Promise.all([api.metric(this.code, this.params()), me]).then(
      ([detail, who]) => {
        if (seq !== this.seq) return;
        if (who && who.scopes) this.scopeIds = who.scopes.map((s) => String(s.id));
        this.render(detail);
        this.renderOrg(detail.org, detail.period);
        // The ranking the detail holds: the server's default dimension for this level, best first.
        this.setData({ by: detail.breakdown.by, order: 'desc' });
        this.renderRanking(detail.breakdown);
        this.drawChart();
      },
      (e) => {
        if (seq !== this.seq) return;
        const err = toApiError(e);
        this.setData({ loading: false, error: { message: err.message, retryable: err.retryable, code: err.code } });
      }
    );
  },

  render(detail) {
    const metric = detail.metric;
    const card = detail.card;
    this.metric = metric;
    const series = detail.series || {};
    if (metric && metric.name) dd.setNavigationBar({ title: metric.name });
    const view = format.cardView(card);
    this.trend = {
      points: series.points || [],
      lastYear: series.lastYear || null,
      unit: metric.unit,
      precision: metric.precision,
      cls: view.cls,
    };
    const peers = detail.peers ? peerRows(detail.peers.items, detail.org ? String(detail.org.id) : '') : [];
    this.setData({
      peers,
      loading: false,
      error: null,
      metric: { code: metric.code, name: metric.name, unit: metric.unit, description: metric.description || '' },
      card: view,
      rows: format.comparisonRows(card, metric),
      rankText: card.rank && card.peers ? '在同级' + card.peers + '个单位中排第' + card.rank + '名' : '',
      // A records-backed metric: the list of what the figure counts.
      recordsLink: card.records || '',
      grainIndex: Math.max(0, period.GRAINS.indexOf(this.sel.grain || 'day')),
    });
  },

  // The org, its breadcrumb (a crumb links only inside the caller's scope) and the period.
  renderOrg(org, p) {
    if (org) {
      const current = { id: String(org.id), name: org.name };
      this.sel = nav.withOrg(this.sel, current);
      this.stack = org.breadcrumb ? nav.crumbsFrom(org.breadcrumb) : nav.pushCrumb(this.stack, current);
    }
    if (p) this.sel = Object.assign({}, this.sel, { grain: p.grain, date: p.start });
    this.setData({
      breadcrumb: nav.scopedCrumbs(this.stack, this.scopeIds),
      periodLabel: p ? p.label || period.periodLabel(p.grain, p.start) : '',
      partial: !!(p && p.partial),
      grainIndex: Math.max(0, period.GRAINS.indexOf(this.sel.grain || 'day')),
    });
  },

  renderRanking(b) {
    const kinds = b.kinds || [b.by];
    this.setData({
      byOptions: kinds.length > 1 ? kinds : [],
      ranking: format.rankingRows(b.items, this.metric && this.metric.unit),
      rankingLoading: false,
      rankingError: null,
    });
  },

  // The trend: the f2 component asks for the chart once mounted; later answers change its data.
  drawChart() {
    const t = this.trend || { points: [] };
    const empty = !t.points.some((p) => p.value !== null && p.value !== undefined);
    this.setData({ chartEmpty: empty });
    // An empty trend unmounts the component; its chart goes with it.
    if (empty) this.chart = null;
    if (this.chart && !empty) this.chart.changeData(trend.trendRows(t.points, t.lastYear));
  },

  onInitChart(F2, config) {
    this.chart = trend.renderTrend(F2, config, this.trend);
    return this.chart;
  },

  loadRanking() {
    const seq = ++this.rankSeq;
    this.setData({ rankingLoading: true, rankingError: null });
    return getApp()
      .api.breakdown(this.code, this.rankingParams())
      .then(
        (b) => {
          if (seq === this.rankSeq) this.renderRanking(b);
        },
        (e) => {
          if (seq !== this.rankSeq) return;
          this.setData({ rankingLoading: false, rankingError: toApiError(e).message });
        }
      );
  },

  onRetry() {
    return this.load();
  },

  onRankTap(e) {
    const id = String(e.currentTarget.dataset.id);
    const row = this.data.ranking.find((r) => r.id === id);
    if (!row) return undefined;
    if (!row.drillable && row.records) return this.openRecords(row.records, row.name);
    if (!row.drillable) {
      dd.showToast({ content: '已是最下级', type: 'none' });
      return undefined;
    }
    this.stack = nav.pushCrumb(this.stack, row);
    this.sel = nav.withOrg(this.sel, row);
    return this.load();
  },

  // 查看明细: the records behind the card's figure.
  onOpenRecords() {
    const org = this.sel.org;
    return this.openRecords(this.data.recordsLink, org ? org.name : '');
  },

  openRecords(link, orgName) {
    if (!link) return undefined;
    dd.navigateTo({
      url: '/pages/records/index?link=' + encodeURIComponent(link) + '&orgName=' + encodeURIComponent(orgName || ''),
    });
    return undefined;
  },

  onCrumbTap(e) {
    const index = Number(e.currentTarget.dataset.index);
    const crumb = this.data.breadcrumb[index];
    if (!crumb || !crumb.link) return undefined;
    this.stack = nav.popTo(this.stack, index);
    this.sel = nav.withOrg(this.sel, this.stack[index]);
    return this.load();
  },

  onByTap(e) {
    const by = e.currentTarget.dataset.by;
    if (!by || by === this.data.by || this.data.byOptions.indexOf(by) < 0) return undefined;
    this.setData({ by });
    return this.loadRanking();
  },

  onOrderTap() {
    this.setData({ order: this.data.order === 'desc' ? 'asc' : 'desc' });
    return this.loadRanking();
  },

  onGrainChange(e) {
    const grain = period.GRAINS[Number(e.detail.value)];
    if (!grain || grain === this.sel.grain) return undefined;
    // The latest complete period of the new grain, as on the home screen.
    this.sel = Object.assign({}, nav.withGrain(this.sel, grain), { date: null });
    return this.load();
  },

  onDownload(e) {
    const kind = e.currentTarget.dataset.kind === 'series' ? 'series' : 'breakdown';
    const org = this.sel.org || {};
    dd.navigateTo({
      url: nav.pageUrl('/pages/downloads/index', {
        kind,
        metric: this.code,
        metricName: this.data.metric ? this.data.metric.name : '',
        org: org.id,
        orgName: org.name,
        grain: this.sel.grain,
        date: this.sel.date,
        by: kind === 'breakdown' ? this.data.by : null,
      }),
    });
  },
});
