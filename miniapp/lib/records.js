'use strict';
// The record lists behind the numbers (办件 / 事项 / 目录): a card's or breakdown row's
// `records` link parsed into a query, its filters shown as removable chips, and the two or
// three columns a phone has room for. Pure: no dd, no page.

const KINDS = ['catalog', 'items', 'cases'];

const KIND_NAMES = { catalog: '目录', items: '事项', cases: '办件' };

// Columns asked of the server for a phone: a title, a subtitle and a badge.
const PHONE_COLUMNS = {
  cases: ['caseNo', 'itemName', 'org', 'workingDays', 'overdue', 'result'],
  items: ['name', 'org', 'implementation', 'onlineLevel'],
  catalog: ['name', 'org', 'status', 'code'],
};

const VALUE_NAMES = {
  status: { draft: '草稿', published: '已发布', suspended: '已暂停', cancelled: '已取消' },
  implementation: { not_started: '未实施', decomposed: '已拆解', implemented: '已实施' },
  result: { completed: '办结', rejected: '不予受理', returned: '退回', open: '在办' },
  channel: { window: '窗口', online: '网上', mobile: '掌上' },
  applicantKind: { person: '个人', legal_person: '法人' },
  level: { province: '省级', city: '市级', county: '县级' },
};

// '/api/v1/records/cases?org=2&overdue=true' -> { kind: 'cases', params: { org: '2', overdue: 'true' } }
function parseLink(link) {
  const s = String(link || '');
  const m = /\/records\/([a-z]+)(?:\?(.*))?$/.exec(s);
  if (!m || KINDS.indexOf(m[1]) < 0) return null;
  const params = {};
  (m[2] || '').split('&').forEach((pair) => {
    if (!pair) return;
    const i = pair.indexOf('=');
    const k = decodeURIComponent(i < 0 ? pair : pair.slice(0, i));
    const v = i < 0 ? '' : decodeURIComponent(pair.slice(i + 1).replace(/\+/g, ' '));
    params[k] = v;
  });
  return { kind: m[1], params };
}

function named(key, value) {
  const names = VALUE_NAMES[key];
  if (!names) return value;
  return String(value)
    .split(',')
    .map((v) => names[v] || v)
    .join('、');
}

// The filters of a query as chips; `org` is shown by name when known, dates as a range.
function chipsOf(params, orgName) {
  const chips = [];
  const p = params || {};
  Object.keys(p).forEach((key) => {
    const v = p[key];
    if (v === '' || v === undefined || v === null) return;
    if (key === 'cursor' || key === 'limit' || key === 'columns' || key === 'sort' || key === 'q') return;
    if (/To$/.test(key) && p[key.replace(/To$/, 'From')]) return; // shown with its From
    let label;
    if (key === 'org') label = orgName || '机构 ' + v;
    else if (key === 'overdue') label = v === 'true' ? '超期' : '未超期';
    else if (key === 'mobile') label = v === 'true' ? '掌上可办' : '非掌上可办';
    else if (key === 'zeroVisit') label = v === 'true' ? '跑零次' : '需跑动';
    else if (/From$/.test(key)) {
      const base = key.replace(/From$/, '');
      const to = p[base + 'To'];
      const what = base === 'completed' ? '办结' : '受理';
      label = what + ' ' + (to && to !== v ? v + ' 至 ' + to : v);
    } else if (/To$/.test(key)) label = (key === 'completedTo' ? '办结' : '受理') + '至 ' + v;
    else label = named(key, v);
    chips.push({ key, label });
  });
  return chips;
}

// Removes a chip's filter (a date range goes whole).
function withoutChip(params, key) {
  const out = Object.assign({}, params);
  delete out[key];
  if (/From$/.test(key)) delete out[key.replace(/From$/, 'To')];
  delete out.cursor;
  return out;
}

// One list row for a phone: title, subtitle, badge (and whether it is bad news).
function rowView(kind, r) {
  if (kind === 'cases') {
    return {
      id: r.id,
      title: r.itemName || r.caseNo,
      subtitle: [r.caseNo, r.org].filter(Boolean).join(' · '),
      badge: r.overdue ? '超期 ' + r.workingDays + '个工作日' : named('result', r.result) + ' ' + r.workingDays + '个工作日',
      warn: !!r.overdue,
    };
  }
  if (kind === 'items') {
    return {
      id: r.id,
      title: r.name,
      subtitle: r.org || '',
      badge: named('implementation', r.implementation) + (r.onlineLevel !== undefined ? ' · 网办深度' + r.onlineLevel : ''),
      warn: r.implementation === 'not_started',
    };
  }
  return {
    id: r.id,
    title: r.name,
    subtitle: [r.code, r.org].filter(Boolean).join(' · '),
    badge: named('status', r.status),
    warn: r.status === 'suspended' || r.status === 'cancelled',
  };
}

// A record's fields for the detail page, in the server's column order.
function fieldsOf(columns, record) {
  return (columns || [])
    .filter((c) => c.key !== 'id')
    .map((c) => {
      const v = record ? record[c.key] : null;
      let text;
      if (v === null || v === undefined || v === '') text = '—';
      else if (v === true) text = '是';
      else if (v === false) text = '否';
      else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) text = v.slice(0, 16).replace('T', ' ');
      else text = named(c.key, v);
      return { key: c.key, label: c.label, text: String(text) };
    });
}

module.exports = { KINDS, KIND_NAMES, PHONE_COLUMNS, parseLink, chipsOf, withoutChip, rowView, fieldsOf };
