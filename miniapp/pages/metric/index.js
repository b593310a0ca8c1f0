// 指标详情: the card with its comparisons, the trend on a canvas, and the ranking of child orgs
// with drill-down and a breadcrumb back up.
const format = require('../../lib/format');
const period = require('../../lib/period');
const chart = require('../../lib/chart');
const nav = require('../../lib/nav');
const { toApiError } = require('../../lib/errors');

const GRAIN_NAMES = { day: '日', week: '周', month: '月', quarter: '季度', year: '年' };
const CANVAS_ID = 'trend';
const CHART_HEIGHT = 180;
// The canvas sits in a panel: page padding and panel padding, 24rpx each side.
const CHART_SIDE_RPX = 4 * 24;

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
    chartWidth: 320,
    chartHeight: CHART_HEIGHT,
    chartEmpty: false,
    selected: null,
    breadcrumb: [],
    ranking: [],
    rankingLoading: false,
    rankingError: null,
    by: 'region',
    order: 'desc',
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
    this.points = [];
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
    return Promise.all([api.metric(this.code, this.params()), api.breakdown(this.code, this.rankingParams())]).then(
      ([detail, breakdown]) => {
        if (seq !== this.seq) return;
        this.render(detail);
        this.renderRanking(breakdown);
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
    this.points = (detail.series && detail.series.points) || [];
    if (metric && metric.name) dd.setNavigationBar({ title: metric.name });
    const view = format.cardView(card);
    this.setData({
      loading: false,
      error: null,
      metric: { code: metric.code, name: metric.name, unit: metric.unit, description: metric.description || '' },
      card: view,
      rows: format.comparisonRows(card, metric),
      rankText: card.rank && card.peers ? '在同级' + card.peers + '个单位中排第' + card.rank + '名' : '',
      // A records-backed metric: the list of what the figure counts.
      recordsLink: card.records || '',
      grainIndex: Math.max(0, period.GRAINS.indexOf(this.sel.grain || 'day')),
      selected: null,
    });
  },

  renderRanking(b) {
    if (b.org) {
      const org = { id: String(b.org.id), name: b.org.name };
      this.sel = nav.withOrg(this.sel, org);
      this.stack = b.org.breadcrumb ? nav.pushCrumb(nav.crumbsFrom(b.org.breadcrumb), org) : nav.pushCrumb(this.stack, org);
    }
    if (b.period) {
      this.sel = Object.assign({}, this.sel, { grain: b.period.grain, date: b.period.start });
    }
    const p = b.period;
    this.setData({
      breadcrumb: this.stack,
      ranking: format.rankingRows(b.items, this.metric && this.metric.unit),
      rankingLoading: false,
      rankingError: null,
      periodLabel: p ? p.label || period.periodLabel(p.grain, p.start) : '',
      partial: !!(p && p.partial),
      grainIndex: Math.max(0, period.GRAINS.indexOf(this.sel.grain || 'day')),
    });
  },

  drawChart() {
    const sys = dd.getSystemInfoSync();
    const width = Math.floor((sys.windowWidth * (750 - CHART_SIDE_RPX)) / 750);
    this.chart = chart.computeChart(this.points, {
      width,
      height: CHART_HEIGHT,
      unit: this.metric ? this.metric.unit : '',
      grain: this.sel.grain || 'day',
    });
    this.setData({ chartWidth: width, chartEmpty: this.chart.empty });
    if (this.chart.empty) return;
    const ctx = dd.createCanvasContext(CANVAS_ID);
    chart.draw(ctx, this.chart, this.data.card ? this.data.card.cls : 'neutral');
  },

  // Touching the chart shows the value of the nearest point.
  onChartTouch(e) {
    if (!this.chart || this.chart.empty) return;
    const t = (e.touches && e.touches[0]) || e.detail || {};
    const x = t.x !== undefined ? t.x : t.clientX;
    if (x === undefined) return;
    let best = null;
    this.chart.dots.forEach((d) => {
      if (!best || Math.abs(d.x - x) < Math.abs(best.x - x)) best = d;
    });
    if (best) this.setData({ selected: { label: best.label, display: best.display } });
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
    if (index >= this.stack.length - 1) return undefined;
    this.stack = nav.popTo(this.stack, index);
    this.sel = nav.withOrg(this.sel, this.stack[index]);
    return this.load();
  },

  onByTap(e) {
    const by = e.currentTarget.dataset.by;
    if (!by || by === this.data.by) return undefined;
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
