// 指标: the whole indicator system as boards (协同, 政务服务, 移动政务, 数据治理). One request lists
// the boards the caller sees; one request a board renders its sections of cards, with the same
// org, grain and period as the home screen, and a card opens its metric page.
const format = require('../../lib/format');
const period = require('../../lib/period');
const nav = require('../../lib/nav');
const { toApiError } = require('../../lib/errors');

const GRAIN_NAMES = { day: '日', week: '周', month: '月', quarter: '季度', year: '年' };

Page({
  data: {
    loading: true,
    error: null,
    boards: [],
    current: '',
    sections: [],
    org: null,
    periodLabel: '',
    partial: false,
    asOfText: '',
    grainNames: period.GRAINS.map((g) => GRAIN_NAMES[g]),
    grainIndex: 0,
  },

  onLoad(options) {
    const o = options || {};
    this.sel = nav.selectionFromOptions(o);
    this.seq = 0;
    const wanted = o.board ? String(o.board) : '';
    return getApp()
      .api.boards()
      .then(
        (list) => {
          const boards = (list.boards || []).map((b) => ({ code: b.code, name: b.name }));
          const current = boards.some((b) => b.code === wanted) ? wanted : boards.length ? boards[0].code : '';
          this.setData({ boards, current });
          if (!current) {
            this.setData({ loading: false });
            return undefined;
          }
          return this.load();
        },
        (e) => this.fail(e)
      );
  },

  onPullDownRefresh() {
    return this.load().then(() => dd.stopPullDownRefresh());
  },

  fail(e) {
    const err = toApiError(e);
    this.setData({ loading: false, error: { message: err.message, retryable: err.retryable, code: err.code } });
  },

  load() {
    const seq = ++this.seq;
    this.setData({ loading: true });
    return getApp()
      .api.board(this.data.current, nav.queryOf(this.sel))
      .then(
        (screen) => {
          if (seq !== this.seq) return;
          this.render(screen);
        },
        (e) => {
          if (seq === this.seq) this.fail(e);
        }
      );
  },

  render(screen) {
    const p = screen.period;
    this.sel = { org: { id: String(screen.org.id), name: screen.org.name }, grain: p.grain, date: p.start };
    this.setData({
      loading: false,
      error: null,
      org: this.sel.org,
      periodLabel: p.label || period.periodLabel(p.grain, p.start),
      partial: !!p.partial,
      asOfText: format.asOfText(screen.asOf),
      grainIndex: Math.max(0, period.GRAINS.indexOf(p.grain)),
      sections: (screen.sections || []).map((s) => ({ name: s.name, cards: (s.cards || []).map(format.cardView) })),
    });
  },

  onBoardTap(e) {
    const code = e.currentTarget.dataset.code;
    if (!code || code === this.data.current) return undefined;
    this.setData({ current: code, sections: [] });
    return this.load();
  },

  onGrainChange(e) {
    const grain = period.GRAINS[Number(e.detail.value)];
    if (!grain || grain === this.sel.grain) return undefined;
    // The latest complete period of the new grain, as on the home screen.
    this.sel = Object.assign({}, nav.withGrain(this.sel, grain), { date: null });
    return this.load();
  },

  onPrevPeriod() {
    this.sel = nav.stepPeriod(this.sel, -1);
    return this.load();
  },

  onRetry() {
    return this.data.current ? this.load() : this.onLoad({});
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
});
