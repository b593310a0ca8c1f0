// Where the mini-program finds the Canmou server. The domain must also be listed among the
// mini-program's trusted HTTP domains (HTTP 安全域名) in the DingTalk developer console.
module.exports = {
  baseUrl: 'https://canmou.example.gov.cn',
  // Optional: the organisation's corpId. Left empty, the one DingTalk passes at launch
  // (query corpId, from the app's launch URL `?corpId=$CORPID$`) or dd.corpId is used.
  corpId: '',
};
