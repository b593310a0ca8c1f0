const config = require('./config');
const { createServices } = require('./lib/services');

App({
  onLaunch(options) {
    const query = (options && options.query) || {};
    this.corpId = query.corpId || config.corpId || '';
    Object.assign(
      this,
      createServices({ dd, baseUrl: config.baseUrl, getCorpId: () => this.corpId })
    );
    // Log in early so the first screen does not wait for it; pages await it anyway.
    this.api.ensureSession().catch(() => {});
  },
});
