// 设置: the daily briefing (on/off, time on the quarter hour, weekends) and a way to downloads.
const briefing = require('../../lib/briefing');
const { toApiError } = require('../../lib/errors');

Page({
  data: {
    loading: true,
    error: null,
    saving: false,
    dirty: false,
    enabled: true,
    time: '08:30',
    timeIndex: briefing.timeIndex('08:30'),
    timeOptions: briefing.TIME_OPTIONS,
    includeWeekends: false,
    user: null,
  },

  onLoad() {
    return this.load();
  },

  load() {
    const api = getApp().api;
    this.setData({ loading: true, error: null });
    return Promise.all([api.getBriefing(), api.me().catch(() => null)]).then(
      ([b, me]) => {
        const s = briefing.normalize(b);
        this.setData({
          loading: false,
          dirty: false,
          enabled: s.enabled,
          time: s.time,
          timeIndex: briefing.timeIndex(s.time),
          includeWeekends: s.includeWeekends,
          user: me && me.user ? { name: me.user.name, title: me.user.title || '' } : null,
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

  onEnabledChange(e) {
    this.setData({ enabled: !!e.detail.value, dirty: true });
  },

  onTimeChange(e) {
    const i = Number(e.detail.value);
    const time = briefing.TIME_OPTIONS[i];
    if (time) this.setData({ time, timeIndex: i, dirty: true });
  },

  onWeekendsChange(e) {
    this.setData({ includeWeekends: !!e.detail.value, dirty: true });
  },

  onSave() {
    if (this.data.saving) return undefined;
    const body = { enabled: this.data.enabled, time: this.data.time, includeWeekends: this.data.includeWeekends };
    this.setData({ saving: true });
    return getApp()
      .api.saveBriefing(body)
      .then(
        (saved) => {
          const s = briefing.normalize(saved || body);
          this.setData({ saving: false, dirty: false, enabled: s.enabled, time: s.time, timeIndex: briefing.timeIndex(s.time), includeWeekends: s.includeWeekends });
          dd.showToast({ content: '已保存', type: 'success' });
        },
        (e) => {
          this.setData({ saving: false });
          dd.showToast({ content: toApiError(e).message, type: 'fail' });
        }
      );
  },

  onOpenDownloads() {
    dd.navigateTo({ url: '/pages/downloads/index' });
  },
});
