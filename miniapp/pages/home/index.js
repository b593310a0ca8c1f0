// 首页: the card grid of GET /home for an org, grain and date; offline it shows the last good
// screen from storage, marked stale.
const format = require('../../lib/format');
const period = require('../../lib/period');
const nav = require('../../lib/nav');
const { toApiError } = require('../../lib/errors');

const GRAIN_NAMES = { day: '日', week: '周', month: '月', quarter: '季度', year: '年' };
const SEARCH_MORE = '搜索其他机构…';

Page({
  data: {
    loading: true,
    error: null,
    stale: null,
    asOfText: '',
    periodLabel: '',
    partial: false,
    org: null,
    breadcrumb: [],
    cards: [],
    grainNames: period.GRAINS.map((g) => GRAIN_NAMES[g]),
    grainIndex: 0,
    canNext: false,
    orgNames: [SEARCH_MORE],
  },

  // Options come from a tab switch, navigateTo or the briefing's eapp:// link (?date=…).
  onLoad(options) {
    this.sel = nav.selectionFromOptions(options);
    // A date the user asked for is kept across grain changes; otherwise the server picks the
    // latest complete period of each grain.
    this.dateChosen = !!this.sel.date;
    this.seq = 0;
    this.scopes = [];
    return Promise.all([this.load(), this.loadScopes()]);
  },

  // The search tab hands over a picked org through storage.
  onShow() {
    if (!this.sel) return undefined;
    const org = nav.takePendingOrg(getApp().storage);
    if (!org) return undefined;
    this.sel = nav.withOrg(this.sel, org);
    return this.load();
  },

  onPullDownRefresh() {
    return this.load().then(() => dd.stopPullDownRefresh());
  },

  load() {
    const app = getApp();
    const seq = ++this.seq;
    const query = nav.queryOf(this.sel);
    this.setData({ loading: true });
    return app.api.home(query).then(
      (home) => {
        if (seq !== this.seq) return;
        app.homeCache.save(query, home);
        this.sel = {
          org: { id: String(home.org.id), name: home.org.name },
          grain: home.period.grain,
          date: home.period.start,
        };
        this.render(home, null);
      },
      (e) => {
        if (seq !== this.seq) return;
        const err = toApiError(e);
        const cached = err.offline || err.retryable ? app.homeCache.load(query) : null;
        if (cached) {
          const where = cached.exact ? '' : '（' + cached.home.org.name + '）';
          this.render(cached.home, {
            text: '离线数据' + where + ' · ' + format.asOfText(cached.home.asOf) + ' · 获取于' + format.ago(cached.savedAt, app.now()),
          });
        }
        this.setData({
          loading: false,
          error: { message: err.message, retryable: err.retryable, code: err.code },
        });
      }
    );
  },

  render(home, stale) {
    const p = home.period;
    this.crumbs = nav.pushCrumb(nav.crumbsFrom(home.org.breadcrumb), home.org);
    const crumbs = nav.scopedCrumbs(this.crumbs, this.scopes.map((s) => s.id));
    this.setData({
      loading: false,
      error: null,
      stale,
      asOfText: format.asOfText(home.asOf),
      periodLabel: p.label || period.periodLabel(p.grain, p.start),
      partial: !!p.partial,
      org: { id: String(home.org.id), name: home.org.name },
      breadcrumb: crumbs,
      cards: (home.cards || []).map(format.cardView),
      grainIndex: Math.max(0, period.GRAINS.indexOf(p.grain)),
      canNext: !!home.asOf && period.shiftPeriod(p.grain, p.start, 1) <= home.asOf,
    });
  },

  loadScopes() {
    return getApp()
      .api.me()
      .then(
        (me) => {
          this.scopes = (me.scopes || []).map((s) => ({ id: String(s.id), name: s.name }));
          this.setData({ orgNames: this.scopes.map((s) => s.name).concat([SEARCH_MORE]) });
          // Crumbs link only inside the scopes, now known.
          if (this.crumbs) this.setData({ breadcrumb: nav.scopedCrumbs(this.crumbs, this.scopes.map((s) => s.id)) });
        },
        () => {
          // the picker still offers search; the cards show their own error
        }
      );
  },

  onRetry() {
    return this.load();
  },

  onCardTap(e) {
    const metric = e.currentTarget.dataset.metric;
    if (!metric) return;
    const org = this.sel.org || {};
    dd.navigateTo({
      url: nav.pageUrl('/pages/metric/index', {
        code: metric,
        org: org.id,
        orgName: org.name,
        grain: this.sel.grain,
        date: this.sel.date,
      }),
    });
  },

  onGrainChange(e) {
    const grain = period.GRAINS[Number(e.detail.value)];
    if (!grain || grain === this.sel.grain) return undefined;
    this.sel = nav.withGrain(this.sel, grain);
    if (!this.dateChosen) this.sel = Object.assign({}, this.sel, { date: null });
    return this.load();
  },

  onPickDate() {
    return new Promise((resolve) => {
      dd.datePicker({
        format: 'yyyy-MM-dd',
        currentDate: this.sel.date || period.today(getApp().now()),
        success: (res) => {
          this.sel = nav.withDate(this.sel, res.date);
          this.dateChosen = true;
          resolve(this.load());
        },
        fail: () => resolve(),
      });
    });
  },

  onPrevPeriod() {
    return this.step(-1);
  },

  onNextPeriod() {
    if (!this.data.canNext) return undefined;
    return this.step(1);
  },

  step(n) {
    if (!this.sel.grain || !this.sel.date) return undefined;
    this.sel = nav.stepPeriod(this.sel, n);
    this.dateChosen = true;
    return this.load();
  },

  onCrumbTap(e) {
    const crumb = this.data.breadcrumb[Number(e.currentTarget.dataset.index)];
    if (!crumb || !crumb.link) return undefined;
    this.sel = nav.withOrg(this.sel, crumb);
    return this.load();
  },

  onOrgPick(e) {
    const i = Number(e.detail.value);
    if (i >= this.scopes.length) {
      dd.switchTab({ url: '/pages/orgs/index' });
      return undefined;
    }
    this.sel = nav.withOrg(this.sel, this.scopes[i]);
    return this.load();
  },

  onDownload() {
    const org = this.sel.org || {};
    dd.navigateTo({
      url: nav.pageUrl('/pages/downloads/index', {
        kind: 'home',
        org: org.id,
        orgName: org.name,
        grain: this.sel.grain,
        date: this.sel.date,
      }),
    });
  },
});
