// The F2 chart component for DingTalk (after @antv/my-f2 2.1.7, MIT — vendor/f2/LICENSE-my-f2):
// a <canvas> sized by its container, handed to the page's `onInit(F2, config)`, which builds
// and returns the chart; touches are passed on to F2 (its tooltip follows the finger).
const F2 = require('../../vendor/f2/f2.min.js');
const adapt = require('../../vendor/f2/context-my.js').default;

// DingTalk's API object; `my` where the same runtime exposes it under Alipay's name.
const host = () => (typeof dd !== 'undefined' ? dd : my);

function wrapEvent(e) {
  if (e && !e.preventDefault) e.preventDefault = function () {};
  return e;
}

Component({
  props: {
    onInit: () => null,
    // width and height fall back to these when the container cannot be measured
    width: null,
    height: null,
  },
  didMount() {
    const api = host();
    const pageId = (this.$page && this.$page.$id) || 0;
    const id = 'f2-canvas-' + pageId + '-' + this.$id;
    const context = adapt(api.createCanvasContext(id, { page: this.$page }));
    this.setData({ $pageId: pageId });
    api
      .createSelectorQuery({ page: this.$page })
      .select('#' + id)
      .boundingClientRect()
      .exec((res) => {
        const { width, height } = res && res[0] ? res[0] : this.props;
        if (!width || !height) return;
        const pixelRatio = api.getSystemInfoSync().pixelRatio;
        this.setData({ id, width: width * pixelRatio, height: height * pixelRatio }, () => {
          const chart = this.props.onInit(F2, { context, width, height, pixelRatio }, this);
          if (chart) {
            this.chart = chart;
            this.canvasEl = chart.get('el');
          }
        });
      });
  },
  didUnmount() {
    if (this.chart) this.chart.destroy();
  },
  methods: {
    click(e) {
      if (!this.canvasEl) return;
      const event = wrapEvent(e);
      event.touches = [e.detail];
      this.canvasEl.dispatchEvent('click', event);
    },
    touchStart(e) {
      if (this.canvasEl) this.canvasEl.dispatchEvent('touchstart', wrapEvent(e));
    },
    touchMove(e) {
      if (this.canvasEl) this.canvasEl.dispatchEvent('touchmove', wrapEvent(e));
    },
    touchEnd(e) {
      if (this.canvasEl) this.canvasEl.dispatchEvent('touchend', wrapEvent(e));
    },
  },
});
