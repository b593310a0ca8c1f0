'use strict';
// One error type for everything the API client can fail with, carrying a friendly Chinese
// message for the page and the machine code for logic.

// dd.httpRequest `fail` codes.
const DD_FAIL = {
  11: { code: 'domain_not_trusted', message: '服务器地址不在小程序的安全域名中，请联系管理员' },
  12: { code: 'network', message: '网络连接失败，请检查网络后重试' },
  13: { code: 'timeout', message: '请求超时，请稍后重试' },
  14: { code: 'decode', message: '服务器返回的数据无法解析，请稍后重试' },
  19: { code: 'http_error', message: '服务器返回错误，请稍后重试' },
};

// The server's stable error codes (DESIGN.md §5).
const SERVER = {
  invalid_parameter: '请求参数有误',
  unauthenticated: '登录已失效，请重新打开小程序',
  invalid_auth_code: '钉钉登录失败，请重新打开小程序',
  forbidden: '您没有权限执行此操作',
  out_of_scope: '该机构不在您的数据权限范围内',
  no_scope: '您尚未被授予数据权限，请联系管理员',
  not_found: '未找到相关数据',
  conflict: '数据已被修改，请刷新后重试',
  rate_limited: '访问过于频繁，请稍后再试',
  upstream_unavailable: '数据源暂时不可用，请稍后重试',
};

function messageForStatus(status) {
  if (status === 401) return SERVER.unauthenticated;
  if (status === 403) return SERVER.forbidden;
  if (status === 404) return SERVER.not_found;
  if (status === 429) return SERVER.rate_limited;
  if (status >= 500) return '服务器繁忙，请稍后重试';
  return '请求失败（' + status + '）';
}

class ApiError extends Error {
  constructor(fields) {
    super(fields.message);
    this.name = 'ApiError';
    this.code = fields.code; // server code, or a client code such as 'network'
    this.status = fields.status || 0; // HTTP status, 0 when none was received
    this.serverMessage = fields.serverMessage || '';
    this.requestId = fields.requestId || '';
    this.param = fields.param || '';
    // Worth a retry button: the network, timeouts and server-side trouble.
    this.retryable = fields.retryable !== undefined ? fields.retryable : true;
    // No answer from the server at all: show the cached screen as offline.
    this.offline = !!fields.offline;
  }
}

// An error from a parsed HTTP answer with status >= 400.
function fromHttp(status, body) {
  const b = body && typeof body === 'object' ? body : {};
  const code = typeof b.error === 'string' ? b.error : 'http_' + status;
  let message = SERVER[code] || messageForStatus(status);
  if (code === 'invalid_parameter' && b.param) message += '：' + b.param;
  return new ApiError({
    code,
    status,
    message,
    serverMessage: b.message,
    requestId: b.requestId,
    param: b.param,
    retryable: status >= 500 || status === 429 || status === 0,
  });
}

// An error from a dd.httpRequest `fail` callback. Code 19 (HTTP error status) may come with the
// status and body; when it does, they are more precise than the generic text.
function fromDdFail(res) {
  const r = res || {};
  const status = r.status || r.statusCode || 0;
  if (r.error === 19 && status) return fromHttp(status, parseMaybeJson(r.data));
  const known = DD_FAIL[r.error];
  if (known) {
    return new ApiError({
      code: known.code,
      message: known.message,
      serverMessage: r.errorMessage,
      retryable: r.error !== 11,
      offline: r.error === 12 || r.error === 13,
    });
  }
  return new ApiError({
    code: 'unknown',
    message: '请求失败，请稍后重试',
    serverMessage: r.errorMessage || String(r.error || ''),
  });
}

function parseMaybeJson(data) {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch (_) {
    return null;
  }
}

// Any thrown thing as an ApiError, for pages.
function toApiError(e) {
  if (e instanceof ApiError) return e;
  return new ApiError({ code: 'client', message: '出错了，请稍后重试', serverMessage: String(e && e.message || e) });
}

module.exports = { ApiError, fromHttp, fromDdFail, toApiError, parseMaybeJson, DD_FAIL, SERVER };
