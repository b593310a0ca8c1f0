// 参谋管理控制台：plain JS, no build step. Talks to /api/v1 with the session cookie set by the
// DingTalk QR login.
'use strict';

const API = '/api/v1';
const GRAINS = [['day', '日'], ['week', '周'], ['month', '月'], ['quarter', '季'], ['year', '年']];
const COMPARISONS = [['prev', '环比'], ['yoy', '同比'], ['target', '目标']];
const ACTIONS = {
  'card_set.create': '新建卡片集', 'card_set.update': '编辑草稿', 'card_set.reorder': '调整顺序',
  'card_set.publish': '发布', 'card_set.restore': '恢复版本', 'card_set.assign': '分配',
  'card_set.unassign': '取消分配', 'card_set.delete': '删除卡片集', 'user.update': '修改用户', 'user.scopes': '调整数据范围',
  'metric.update': '修改指标', export: '导出',
  'briefing.run': '手动发送简报', 'briefing.resend': '重发简报', 'calendar.change': '修改节假日',
  'board_rule.hide': '隐藏看板或指标', 'board_rule.show': '恢复显示看板或指标', 'sync.run': '手动同步',
  'open_app.create': '登记开放应用', 'open_app.update': '修改开放应用', 'open_app.rotate': '轮换应用密钥',
  'open_app.suspend': '暂停开放应用', 'open_app.resume': '恢复开放应用', 'open_app.delete': '删除开放应用',
  'open_app.usage_export': '导出应用用量',
};
// What an audit target names: `card_set:2` reads 卡片集 #2.
const TARGETS = {
  card_set: '卡片集 #', user: '用户 #', metric: '指标 ', briefing: '简报 ', calendar: '节假日 ', board: '看板 ',
  peers: '同级排名', sync: '同步 ', 'home.csv': '首页指标 CSV', 'home.xlsx': '首页指标 Excel',
};
function targetText(t) {
  if (!t) return '—';
  if (TARGETS[t]) return TARGETS[t];
  const at = t.indexOf('@');
  const [what, where] = at >= 0 ? [t.slice(0, at), t.slice(at + 1)] : [t, ''];
  const colon = what.indexOf(':');
  const head = colon >= 0 ? what.slice(0, colon) : what;
  const rest = colon >= 0 ? what.slice(colon + 1) : '';
  const BOARD_NAMES = { collab: '协同', service: '政务服务', mobile: '移动政务', governance: '数据治理' };
  const named = head === 'metric' ? metricName(rest) : head === 'board' ? BOARD_NAMES[rest] || rest : rest;
  let text = TARGETS[head] !== undefined ? TARGETS[head] + named : t;
  if (/^(series|breakdown|home)\.(csv|xlsx)$/.test(what)) text = { series: '趋势', breakdown: '排名', home: '首页指标' }[what.split('.')[0]] + ' ' + what.split('.')[1].toUpperCase();
  if (where) text += where === 'all' ? '（全部用户）' : '（机构 ' + where.replace('org:', '#') + '）';
  return text.replace('..', ' 至 ');
}

const state = { me: null, tab: 'sets', metrics: [], sets: [], current: null, draft: null };

// ---- helpers ---------------------------------------------------------------------------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// replaceChildren, skipping absent parts and flattening lists.
function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

function toast(text, bad) {
  const t = document.getElementById('toast');
  t.textContent = text;
  t.className = bad ? 'toast bad' : 'toast';
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, bad ? 6000 : 2500);
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

async function api(path, options) {
  const opts = Object.assign({ credentials: 'same-origin', headers: {} }, options || {});
  if (opts.json !== undefined) {
    opts.method = opts.method || 'POST';
    opts.headers['content-type'] = 'application/json';
    opts.body = JSON.stringify(opts.json);
    delete opts.json;
  }
  // The server takes cookie-authenticated changes only as JSON from this origin (CSRF).
  const method = (opts.method || 'GET').toUpperCase();
  if (method !== 'GET' && method !== 'HEAD') opts.headers['content-type'] = 'application/json';
  const res = await fetch(API + path, opts);
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = null; }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

function explain(e) {
  if (!(e instanceof ApiError)) return String(e);
  const field = e.body.param ? `（字段 ${e.body.param}）` : '';
  const what = {
    409: '内容已被他人修改，请刷新后重试', 403: '无权操作', 400: '输入有误', 401: '登录已过期，请重新登录',
  }[e.status] || '操作失败';
  return `${what}${field}：${e.message}`;
}

function fail(e) {
  toast(explain(e), true);
  if (e instanceof ApiError && e.status === 401) showLogin();
}

// Instants in business time (Asia/Shanghai), whatever the browser's zone.
function fmtTime(s) {
  if (!s) return '—';
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  return new Date(d.getTime() + 8 * 3600e3).toISOString().replace('T', ' ').slice(0, 19);
}

// ---- sign-in ---------------------------------------------------------------------------
function showLogin(note) {
  document.getElementById('app').hidden = true;
  document.getElementById('login').hidden = false;
  document.getElementById('login-note').textContent = note || '';
  document.getElementById('who').textContent = '';
}

async function start() {
  document.getElementById('login-button').addEventListener('click', () => {
    window.location.href = API + '/auth/dingtalk/web';
  });
  let me;
  try {
    me = await api('/me');
  } catch (e) {
    showLogin(e instanceof ApiError && e.status === 401 ? '' : explain(e));
    return;
  }
  state.me = me;
  const who = document.getElementById('who');
  fill(who, 
    h('span', { id: 'who-name' }, `${me.user.name}（${me.user.userid}）`),
    h('span', { class: 'badge' }, me.user.role === 'admin' ? '管理员' : '普通用户'),
    h('button', { type: 'button', id: 'logout', onclick: logout }, '退出'),
  );
  if (me.user.role !== 'admin') {
    showLogin('当前账号不是管理员，无法使用控制台。');
    fill(document.getElementById('who'), h('span', {}, me.user.name), h('button', { type: 'button', onclick: logout }, '退出'));
    return;
  }
  document.getElementById('login').hidden = true;
  document.getElementById('app').hidden = false;
  for (const b of document.querySelectorAll('.tabs button')) b.addEventListener('click', () => go(b.dataset.tab));
  try {
    state.metrics = (await api('/admin/metrics')).items;
  } catch (e) { fail(e); }
  go(location.hash.slice(1) || 'sets');
}

async function logout() {
  try { await api('/auth/logout', { method: 'POST' }); } catch (_) { /* signed out anyway */ }
  location.href = '/admin/';
}

const VIEWS = { sets: viewSets, preview: viewPreview, users: viewUsers, metrics: viewMetrics, sync: viewSync, briefings: viewBriefings, calendar: (m) => viewCalendar(m), boards: viewBoards, openapps: viewOpenApps, audit: viewAudit, records: (main) => viewRecords(main) };

function go(tab) {
  if (!VIEWS[tab]) tab = 'sets';
  state.tab = tab;
  history.replaceState(null, '', '#' + tab);
  for (const b of document.querySelectorAll('.tabs button')) b.setAttribute('aria-selected', String(b.dataset.tab === tab));
  const main = document.getElementById('main');
  fill(main, h('p', { class: 'note' }, '加载中…'));
  VIEWS[tab](main).catch((e) => { fill(main, h('p', { class: 'error' }, explain(e))); });
}

// ---- pickers ---------------------------------------------------------------------------
function picker(placeholder, search, label, onPick, id) {
  const list = h('ul', { hidden: true });
  const input = h('input', { type: 'search', placeholder, id, 'aria-label': placeholder, autocomplete: 'off' });
  let timer;
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = input.value.trim();
      if (!q) { list.hidden = true; return; }
      try {
        const items = await search(q);
        fill(list, ...items.slice(0, 20).map((it) => h('li', {}, h('button', {
          type: 'button', onclick: () => { list.hidden = true; input.value = ''; onPick(it); },
        }, label(it)))));
        if (!items.length) fill(list, h('li', { class: 'note' }, '　没有匹配项'));
        list.hidden = false;
      } catch (e) { fail(e); }
    }, 200);
  });
  return h('span', { class: 'picker' }, input, list);
}

const searchOrgs = async (q) => (await api('/orgs?q=' + encodeURIComponent(q))).items;
const orgLabel = (o) => o.pathNames || o.name;
const searchUsers = async (q) => (await api('/admin/users?pageSize=20&q=' + encodeURIComponent(q))).items;
const userLabel = (u) => `${u.name}（${u.userid}）`;

// ---- card sets -------------------------------------------------------------------------
async function viewSets(main) {
  state.sets = (await api('/admin/card-sets')).items;
  const current = state.sets.find((s) => state.current && s.id === state.current.id) || null;
  const list = h('ul', { class: 'set-list', id: 'set-list' }, state.sets.map((s) => h('li', {}, h('button', {
    type: 'button', class: current && current.id === s.id ? 'current' : '', 'data-set': s.id,
    onclick: () => { state.current = s; state.draft = toDraft(s); viewSetsAgain(); },
  }, s.name, s.isDefault ? h('span', { class: 'badge' }, '默认') : null,
  s.version ? h('span', { class: 'badge ok' }, 'v' + s.version) : h('span', { class: 'badge warn' }, '未发布'),
  s.draftChanged && s.version ? h('span', { class: 'badge warn' }, '草稿有改动') : null))));
  const aside = h('div', {}, h('div', { class: 'row' }, h('button', {
    type: 'button', class: 'primary', id: 'new-set',
    onclick: () => { state.current = null; state.draft = { name: '', description: '', defaultGrain: 'day', cards: [{ metric: firstMetric(), comparison: 'prev', sparkLen: 12 }] }; renderEditor(editor); },
  }, '＋ 新建卡片集')), list);
  const editor = h('div', { id: 'editor' });
  fill(main, h('h2', {}, '卡片集'), h('div', { class: 'split' }, aside, editor));
  if (current) { state.current = current; state.draft = toDraft(current); }
  if (state.draft) renderEditor(editor); else editor.append(h('div', { class: 'empty' }, '选择左侧的卡片集进行编辑，或新建一个。'));
}

function viewSetsAgain() { go('sets'); }

function firstMetric() { const m = state.metrics.find((x) => x.active); return m ? m.code : ''; }

function toDraft(s) {
  return {
    name: s.name, description: s.description, defaultGrain: s.defaultGrain,
    cards: s.cards.map((c) => ({ metric: c.metric, title: c.title || '', comparison: c.comparison, target: c.target, sparkLen: c.sparkLen })),
  };
}

function move(i, j) {
  const cards = state.draft.cards;
  if (j < 0 || j >= cards.length) return;
  const [c] = cards.splice(i, 1);
  cards.splice(j, 0, c);
}

function renderEditor(editor) {
  const s = state.current;
  const d = state.draft;
  const editable = !s || s.editable;
  const grain = h('select', { id: 'set-grain', onchange: (e) => { d.defaultGrain = e.target.value; } },
    GRAINS.map(([v, l]) => h('option', { value: v, selected: d.defaultGrain === v }, l)));
  const cardList = h('ul', { class: 'cards', id: 'card-list' });
  const redraw = () => renderEditor(editor);
  let dragFrom = null;
  d.cards.forEach((c, i) => {
    const metricSelect = h('select', { 'aria-label': `第${i + 1}张卡片的指标`, class: 'card-metric', onchange: (e) => { c.metric = e.target.value; redraw(); } },
      state.metrics.filter((m) => m.active || m.code === c.metric).map((m) => h('option', { value: m.code, selected: m.code === c.metric }, `${m.name}（${m.code}）`)));
    // A target is entered as the metric displays it: 95 for 95 % (stored as 0.95).
    const metric = state.metrics.find((m) => m.code === c.metric);
    const percent = !!metric && metric.unit === '%';
    const shown = c.target === null || c.target === undefined ? '' : percent ? +(c.target * 100).toPrecision(10) : c.target;
    const field = (label, control) => h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), control);
    const row = h('li', { class: 'card-row', draggable: editable ? 'true' : 'false', 'data-index': i },
      h('span', { class: 'handle', title: '拖动以调整顺序', 'aria-hidden': 'true' }, '⠿'),
      h('span', { class: 'note' }, i + 1),
      field('指标', metricSelect),
      field('标题', h('input', { placeholder: '默认为指标名', value: c.title || '', 'aria-label': '标题', oninput: (e) => { c.title = e.target.value; } })),
      field('对比方式', h('select', { 'aria-label': '对比方式', onchange: (e) => { c.comparison = e.target.value; } }, COMPARISONS.map(([v, l]) => h('option', { value: v, selected: c.comparison === v }, l)))),
      field(`目标值${metric ? `（${metric.unit}）` : ''}`, h('input', { type: 'number', step: 'any', min: '0', placeholder: percent ? '如 95' : '目标值', 'aria-label': '目标值', class: 'card-target', value: shown,
        oninput: (e) => { c.target = e.target.value === '' ? null : percent ? Number(e.target.value) / 100 : Number(e.target.value); } })),
      field('迷你图长度', h('input', { type: 'number', min: '2', max: '60', 'aria-label': '迷你图长度', title: '迷你图长度', value: c.sparkLen ?? 12, oninput: (e) => { c.sparkLen = Number(e.target.value); } })),
      h('span', { class: 'ops' },
        h('button', { type: 'button', 'aria-label': `上移第${i + 1}张`, title: '上移', disabled: i === 0, onclick: () => { move(i, i - 1); redraw(); } }, '↑'),
        h('button', { type: 'button', 'aria-label': `下移第${i + 1}张`, title: '下移', disabled: i === d.cards.length - 1, onclick: () => { move(i, i + 1); redraw(); } }, '↓'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `删除第${i + 1}张`, title: '删除', onclick: () => { d.cards.splice(i, 1); redraw(); } }, '✕')));
    row.addEventListener('dragstart', (e) => { dragFrom = i; row.classList.add('dragging'); e.dataTransfer.effectAllowed = 'move'; e.dataTransfer.setData('text/plain', String(i)); });
    row.addEventListener('dragend', () => row.classList.remove('dragging'));
    row.addEventListener('dragover', (e) => { e.preventDefault(); row.classList.add('over'); });
    row.addEventListener('dragleave', () => row.classList.remove('over'));
    row.addEventListener('drop', (e) => {
      e.preventDefault();
      const from = dragFrom !== null ? dragFrom : Number(e.dataTransfer.getData('text/plain'));
      if (!Number.isNaN(from) && from !== i) { move(from, i); redraw(); }
    });
    cardList.append(row);
  });

  const header = s
    ? h('div', { class: 'row' }, h('strong', {}, `#${s.id} ${s.name}`),
      s.version ? h('span', { class: 'badge ok' }, `已发布 v${s.version}`) : h('span', { class: 'badge warn' }, '未发布'),
      h('span', { class: 'note' }, `草稿修订号 ${s.revision} · 更新于 ${fmtTime(s.updatedAt)}`),
      editable ? null : h('span', { class: 'badge warn' }, '超出你的管理范围，只读'))
    : h('div', { class: 'row' }, h('strong', {}, '新建卡片集'));

  const actions = h('div', { class: 'row' },
    h('button', { type: 'button', id: 'add-card', disabled: !editable, onclick: () => { d.cards.push({ metric: firstMetric(), comparison: 'prev', sparkLen: 12, title: '' }); redraw(); } }, '＋ 添加卡片'),
    h('button', { type: 'button', class: 'primary', id: 'save-set', disabled: !editable, onclick: save }, s ? '保存草稿' : '创建'),
    s ? h('button', { type: 'button', class: 'primary', id: 'publish-set', disabled: !editable, onclick: publish }, '发布') : null,
    // Only a set that reaches nobody can go: the default is everyone's fallback.
    s && !s.isDefault ? h('button', {
      type: 'button', class: 'danger', id: 'delete-set',
      disabled: !editable || s.assignedOrgs.length > 0 || s.assignedUsers.length > 0,
      title: s.assignedOrgs.length || s.assignedUsers.length ? '请先取消全部分配' : '删除此卡片集及其历史版本',
      onclick: removeSet,
    }, '删除') : null);

  fill(editor, h('div', { class: 'panel' }, header,
    h('div', { class: 'row' },
      h('label', {}, '名称 ', h('input', { id: 'set-name', value: d.name, oninput: (e) => { d.name = e.target.value; }, maxlength: 40 })),
      h('label', {}, '默认粒度 ', grain)),
    h('div', { class: 'row' }, h('label', { style: 'flex:1' }, '说明', h('textarea', { id: 'set-description', oninput: (e) => { d.description = e.target.value; } }, d.description || ''))),
    h('p', { class: 'note' }, '拖动卡片或使用 ↑ ↓ 调整顺序；目标值按指标显示的单位填写（百分比指标填 95 表示 95%）。'),
    cardList, actions),
  s ? assignmentsPanel(s, editable) : null,
  s ? versionsPanel(s, editable) : null);
}

function body() {
  const d = state.draft;
  return {
    name: d.name, description: d.description || '', defaultGrain: d.defaultGrain,
    cards: d.cards.map((c) => {
      const card = { metric: c.metric, comparison: c.comparison || 'prev', sparkLen: c.sparkLen || 12 };
      if (c.title) card.title = c.title;
      if (c.target !== null && c.target !== undefined && c.target !== '') card.target = Number(c.target);
      return card;
    }),
  };
}

async function save() {
  try {
    const s = state.current;
    const saved = s
      ? await api(`/admin/card-sets/${s.id}`, { json: Object.assign(body(), { revision: s.revision }) })
      : await api('/admin/card-sets', { json: body() });
    state.current = saved;
    state.draft = toDraft(saved);
    toast(s ? '草稿已保存' : '卡片集已创建（尚未发布）');
    go('sets');
  } catch (e) { fail(e); }
}

async function publish() {
  const s = state.current;
  try {
    // Unsaved edits are saved first: what is published is what the administrator sees.
    if (JSON.stringify(body()) !== JSON.stringify(toBody(toDraft(s)))) {
      const saved = await api(`/admin/card-sets/${s.id}`, { json: Object.assign(body(), { revision: s.revision }) });
      state.current = saved;
    }
    const published = await api(`/admin/card-sets/${state.current.id}/publish`, { json: { revision: state.current.revision } });
    state.current = published;
    state.draft = toDraft(published);
    toast(`已发布 v${published.version}`);
    go('sets');
  } catch (e) { fail(e); }
}

async function removeSet() {
  const s = state.current;
  if (!window.confirm(`删除卡片集「${s.name}」及其全部历史版本？此操作不可撤销。`)) return;
  try {
    await api(`/admin/card-sets/${s.id}`, { method: 'DELETE', headers: { 'If-Match': `"${s.revision}"` } });
    state.current = null;
    toast(`已删除「${s.name}」`);
    go('sets');
  } catch (e) { fail(e); }
}

function toBody(d) {
  const saved = state.draft;
  state.draft = d;
  const b = body();
  state.draft = saved;
  return b;
}

function assignmentsPanel(s, editable) {
  const assign = async (payload, remove) => {
    try {
      state.current = await api(`/admin/card-sets/${s.id}/assignments${remove ? '/remove' : ''}`, { json: payload });
      toast(remove ? '已取消分配' : '已分配');
      go('sets');
    } catch (e) { fail(e); }
  };
  return h('div', { class: 'panel', id: 'assignments' }, h('h2', {}, '分配'),
    h('p', { class: 'note' }, '用户优先使用分配给本人的卡片集，其次是所在组织最近上级的卡片集，最后是默认卡片集。只有已发布的版本会生效。'),
    h('div', { class: 'row' }, h('span', {}, '组织：'), h('span', { class: 'chips' }, s.orgs.length ? s.orgs.map((o) => h('span', { class: 'chip' }, o.path || o.name,
      editable ? h('button', { type: 'button', 'aria-label': `取消分配 ${o.name}`, onclick: () => assign({ orgs: [o.id] }, true) }, '✕') : null)) : h('span', { class: 'note' }, '无'))),
    editable ? h('div', { class: 'row' }, picker('搜索组织并分配…', searchOrgs, orgLabel, (o) => assign({ orgs: [o.id] }), 'assign-org')) : null,
    h('div', { class: 'row' }, h('span', {}, '用户：'), h('span', { class: 'chips' }, s.users.length ? s.users.map((u) => h('span', { class: 'chip' }, `${u.name}（${u.userid}）`,
      editable ? h('button', { type: 'button', 'aria-label': `取消分配 ${u.name}`, onclick: () => assign({ users: [u.id] }, true) }, '✕') : null)) : h('span', { class: 'note' }, '无'))),
    editable ? h('div', { class: 'row' }, picker('搜索用户并分配…', searchUsers, userLabel, (u) => assign({ users: [u.id] }), 'assign-user')) : null);
}

function versionsPanel(s, editable) {
  const panel = h('div', { class: 'panel', id: 'versions' }, h('h2', {}, '已发布版本'), h('p', { class: 'note' }, '加载中…'));
  api(`/admin/card-sets/${s.id}/versions`).then((v) => {
    const rows = v.items.map((it) => h('tr', {},
      h('td', {}, 'v' + it.version, it.version === s.version ? h('span', { class: 'badge ok' }, '当前') : null),
      h('td', {}, it.name), h('td', {}, it.cards.map((c) => c.title || metricName(c.metric)).join('、')),
      h('td', {}, fmtTime(it.publishedAt)),
      h('td', {}, editable && it.version !== s.version ? h('button', {
        type: 'button', onclick: async () => {
          try {
            state.current = await api(`/admin/card-sets/${s.id}/restore`, { json: { version: it.version } });
            state.draft = toDraft(state.current);
            toast(`已恢复 v${it.version}，发布为 v${state.current.version}`);
            go('sets');
          } catch (e) { fail(e); }
        },
      }, '恢复并发布') : null)));
    fill(panel, h('h2', {}, '已发布版本'), rows.length
      ? h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, '版本'), h('th', {}, '名称'), h('th', {}, '卡片'), h('th', {}, '发布时间'), h('th', {}, ''))), h('tbody', {}, rows))
      : h('p', { class: 'note' }, '尚未发布。'));
  }).catch(fail);
  return panel;
}

function metricName(code) { const m = state.metrics.find((x) => x.code === code); return m ? m.name : code; }

// ---- preview ---------------------------------------------------------------------------
async function viewPreview(main) {
  const phone = h('div', { class: 'phone', id: 'phone' }, h('div', { class: 'empty' }, '选择一位用户，查看他在手机上看到的首页。'));
  const chosen = h('strong', { id: 'preview-user' }, '');
  const grain = h('select', { id: 'preview-grain', 'aria-label': '粒度' }, h('option', { value: '' }, '默认粒度'), GRAINS.map(([v, l]) => h('option', { value: v }, l)));
  const date = h('input', { type: 'date', id: 'preview-date', 'aria-label': '日期' });
  let user = state.previewUser || null;
  const show = async () => {
    if (!user) return;
    chosen.textContent = userLabel(user);
    const q = new URLSearchParams({ user: String(user.id) });
    if (grain.value) q.set('grain', grain.value);
    if (date.value) q.set('date', date.value);
    try { renderPhone(phone, await api('/admin/preview?' + q)); } catch (e) { fill(phone, h('div', { class: 'empty error' }, explain(e))); }
  };
  grain.addEventListener('change', show);
  date.addEventListener('change', show);
  fill(main, h('h2', {}, '以用户身份预览'),
    h('div', { class: 'row' }, picker('搜索用户（姓名或 userid）…', searchUsers, userLabel, (u) => { user = u; state.previewUser = u; show(); }, 'preview-search'), chosen, grain, date,
      h('button', { type: 'button', onclick: show }, '刷新')),
    h('div', { class: 'preview-wrap' }, phone, h('p', { class: 'note', style: 'max-width:360px' }, '预览与该用户在小程序首页看到的内容完全一致（已发布的卡片集、其数据范围内的组织、最新完整周期）。')));
  show();
}

function spark(values) {
  const pts = values.map((v, i) => [i, v]).filter(([, v]) => v !== null && v !== undefined);
  if (pts.length < 2) return null;
  const w = 300, hgt = 32;
  const min = Math.min(...pts.map((p) => p[1])), max = Math.max(...pts.map((p) => p[1]));
  const x = (i) => (i / Math.max(values.length - 1, 1)) * w;
  const y = (v) => (max === min ? hgt / 2 : hgt - ((v - min) / (max - min)) * (hgt - 4) - 2);
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('width', String(w)); svg.setAttribute('height', String(hgt)); svg.setAttribute('aria-hidden', 'true');
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  line.setAttribute('points', pts.map(([i, v]) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '));
  line.setAttribute('fill', 'none'); line.setAttribute('stroke', '#1456f0'); line.setAttribute('stroke-width', '1.5');
  svg.append(line);
  return svg;
}

function renderPhone(phone, home) {
  const status = { ok: '', partial: '（未完结）', late: '（数据延迟）', nodata: '（暂无数据）' };
  fill(phone, 
    h('div', { class: 'bar' }, h('div', { class: 'org' }, home.org.name), h('div', { class: 'period' }, `${home.period.label} · ${home.cardSet.name} v${home.cardSet.version}`)),
    ...(home.cards.length ? home.cards.map((c) => {
      const change = c.comparison === 'yoy' ? c.yoyDisplay && `同比 ${c.yoyDisplay}` : c.comparison === 'target'
        ? (c.target !== null && c.target !== undefined ? `目标 ${c.unit === '%' ? (c.target * 100).toFixed(1) + '%' : c.target}` : '') : c.deltaDisplay && `环比 ${c.deltaDisplay}`;
      return h('div', { class: 'm-card', 'data-metric': c.metric },
        h('div', { class: 't' }, c.title, status[c.status] || ''),
        h('div', { class: 'v' }, c.display),
        h('div', { class: 'd ' + (c.good === true ? 'good' : c.good === false ? 'bad' : '') }, change || '—', c.rank ? `　排名 ${c.rank}/${c.peers}` : ''),
        spark(c.spark || []));
    }) : [h('div', { class: 'empty' }, '该卡片集没有卡片。')]));
}

// ---- users -----------------------------------------------------------------------------
async function viewUsers(main, q, page) {
  q = q || ''; page = page || 1;
  const data = await api(`/admin/users?pageSize=20&page=${page}&q=${encodeURIComponent(q)}`);
  const search = h('input', { type: 'search', id: 'user-search', placeholder: '姓名或 userid', value: q, 'aria-label': '搜索用户' });
  search.addEventListener('keydown', (e) => { if (e.key === 'Enter') viewUsers(main, search.value.trim(), 1).catch(fail); });
  const update = async (u, payload, what) => {
    try { await api(`/admin/users/${u.id}`, { json: payload }); toast(what); viewUsers(main, q, page).catch(fail); } catch (e) { fail(e); }
  };
  const scopes = async (u, payload) => {
    try { await api(`/admin/users/${u.id}/scopes`, { json: payload }); toast('数据范围已更新'); viewUsers(main, q, page).catch(fail); } catch (e) { fail(e); }
  };
  const rows = data.items.map((u) => h('tr', { 'data-user': u.userid },
    h('td', {}, u.name, h('div', { class: 'note' }, u.userid)), h('td', {}, u.title || ''),
    h('td', {}, u.orgs.join('；')),
    h('td', {}, h('span', { class: 'chips' }, u.scopes.map((s) => h('span', { class: 'chip', title: s.source === 'admin' ? '管理员授予' : '来自钉钉通讯录' }, s.path || s.name,
      s.source === 'admin' ? h('button', { type: 'button', 'aria-label': `收回 ${s.name}`, onclick: () => scopes(u, { revoke: [s.id] }) }, '✕') : h('span', { class: 'badge' }, '钉钉')))),
      picker('授予组织…', searchOrgs, orgLabel, (o) => scopes(u, { grant: [o.id] }))),
    h('td', {}, u.role === 'admin' ? '管理员' : '普通用户', h('div', {}, h('button', { type: 'button', onclick: () => update(u, { role: u.role === 'admin' ? 'viewer' : 'admin' }, '角色已更新') }, u.role === 'admin' ? '取消管理员' : '设为管理员'))),
    h('td', {}, u.active ? h('span', { class: 'badge ok' }, '正常') : h('span', { class: 'badge warn' }, '已停用'),
      h('div', {}, h('button', { type: 'button', class: u.active ? 'danger' : '', onclick: () => update(u, { active: !u.active }, u.active ? '已停用' : '已启用') }, u.active ? '停用' : '启用'))),
    h('td', {}, fmtTime(u.lastLoginAt))));
  const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
  fill(main, h('h2', {}, '用户与权限'),
    h('div', { class: 'row' }, search, h('button', { type: 'button', onclick: () => viewUsers(main, search.value.trim(), 1).catch(fail) }, '搜索'), h('span', { class: 'note' }, `共 ${data.total} 人（仅显示你管理范围内的用户）`)),
    data.items.length ? h('table', { id: 'users' }, h('thead', {}, h('tr', {}, ['姓名', '职务', '所在组织', '数据范围', '角色', '状态', '最近登录'].map((t) => h('th', {}, t)))), h('tbody', {}, rows)) : h('div', { class: 'empty' }, '没有匹配的用户。'),
    h('div', { class: 'pager' }, h('button', { type: 'button', disabled: page <= 1, onclick: () => viewUsers(main, q, page - 1).catch(fail) }, '上一页'), `${page} / ${pages}`,
      h('button', { type: 'button', disabled: page >= pages, onclick: () => viewUsers(main, q, page + 1).catch(fail) }, '下一页')));
}

// ---- metrics ---------------------------------------------------------------------------
async function viewMetrics(main) {
  state.metrics = (await api('/admin/metrics')).items;
  const rows = state.metrics.map((m) => {
    const name = h('input', { value: m.name, 'aria-label': `${m.code} 名称`, maxlength: 32 });
    const unit = h('input', { value: m.unit, 'aria-label': `${m.code} 单位`, size: 4, maxlength: 8 });
    const precision = h('input', { type: 'number', min: 0, max: 4, value: m.precision, 'aria-label': `${m.code} 小数位`, style: 'width:56px' });
    const description = h('textarea', { 'aria-label': `${m.code} 口径` }, m.description);
    const active = h('input', { type: 'checkbox', checked: m.active, 'aria-label': `${m.code} 启用` });
    return h('tr', {}, h('td', {}, m.code, h('div', { class: 'note' }, `${m.kind} · ${m.direction === 'up' ? '越高越好' : '越低越好'}`)), h('td', {}, name), h('td', {}, unit), h('td', {}, precision),
      h('td', { style: 'min-width:260px' }, description), h('td', {}, active),
      h('td', {}, h('button', {
        type: 'button', onclick: async () => {
          try {
            await api(`/admin/metrics/${encodeURIComponent(m.code)}`, { json: { name: name.value, unit: unit.value, precision: Number(precision.value), description: description.value, active: active.checked } });
            toast('指标已更新');
          } catch (e) { fail(e); }
        },
      }, '保存')));
  });
  fill(main, h('h2', {}, '指标口径'), h('p', { class: 'note' }, '指标编码和汇总方式由数据接口约定，不可修改；修改名称、单位、小数位、口径说明或停用需要全省范围的管理员。'),
    h('table', {}, h('thead', {}, h('tr', {}, ['编码', '名称', '单位', '小数位', '口径说明', '启用', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rows)));
}

// ---- sync runs, rejected rows, briefings, calendar -------------------------------------
const SOURCES = { directory: '通讯录同步', feed: '指标数据同步', records: '办件明细同步', briefing: '简报发送' };
const TRIGGERS = { schedule: '定时', manual: '手动' };
const RUN_STATUS = { running: ['运行中', 'warn'], ok: ['成功', 'ok'], partial: ['部分成功', 'warn'], failed: ['失败', 'bad'], cancelled: ['已中止（停机）', 'warn'] };

// A job started by hand (202 with the run to poll): shows its progress in `where` until it ends,
// then resolves with the finished run.
async function followRun(started, where) {
  for (;;) {
    const run = await api(`/admin/sync/runs/${started.runId}`);
    if (where) {
      const figures = run.detail && typeof run.detail === 'object' ? Object.entries(run.detail).filter(([, v]) => typeof v === 'number') : [];
      fill(where, h('span', { class: 'note', id: 'job-progress', 'data-status': run.status },
        `运行 #${run.id} ${(RUN_STATUS[run.status] || [run.status])[0]}：已入库 ${run.rowsStored.toLocaleString('zh-CN')} 行`,
        figures.length ? '，' + figures.map(([k, v]) => `${DETAIL_LABELS[k] || k} ${v.toLocaleString('zh-CN')}`).join('，') : ''));
    }
    if (run.status !== 'running') return run;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
// The run report's figures, by their names in `detail`.
const DETAIL_LABELS = {
  pages: '页数', retries: '重试次数', watermark: '水位', since: '起始水位', rows: '行数', users: '用户数', departments: '部门数',
  orgsCreated: '新增机构', orgsUpdated: '更新机构', orgsDeactivated: '停用机构', usersCreated: '新增用户', usersUpdated: '更新用户',
  usersDeactivated: '停用用户', membershipsChanged: '成员关系变更', scopesChanged: '数据范围变更', factsWritten: '写入指标值',
  rollupRows: '汇总行数', rollupMs: '汇总耗时（毫秒）', calls: '接口调用', throttled: '被限流', changes: '变更', rollup: '汇总',
  orgs_created: '新增机构', orgs_updated: '更新机构', orgs_deactivated: '停用机构', users_created: '新增用户', users_updated: '更新用户',
  users_deactivated: '停用用户', memberships_changed: '成员关系变更', scopes_changed: '数据范围变更', facts_written: '写入指标值',
  failed_departments: '未能读取的部门', failedDepartments: '未能读取的部门',
  runId: '运行编号', rowsStored: '入库行数', rowsDeleted: '删除行数', rowsRejected: '被拒绝行数', personalDropped: '丢弃的个人字段',
  stocksChanged: '存量有变化', attempts: '请求次数', restarts: '从水位重新开始', watermarks: '水位', facts: '生成指标值',
  millis: '耗时（毫秒）', pagesMillis: '拉取入库耗时（毫秒）',
  // The record sync's report: tombstones applied, and its watermarks by kind.
  deleted: '删除行数', catalog: '目录', items: '事项', cases: '办件',
  // The feed sync's report: its watermark before and after, and the home screens it warmed.
  watermarkBefore: '同步前水位', watermarkAfter: '同步后水位', warmed: '首页预热', screens: '已预热', wanted: '应预热',
};
const DELIVERY_STATUS = {
  pending: '待发送', sending: '发送中', sent: '已发送', read: '已读', unread: '未读', forbidden: '被拒收',
  invalid_user: '用户无效', failed: '发送失败', unknown: '结果未知',
};

function badge(map, key) {
  const [text, cls] = map[key] || [key, ''];
  return h('span', { class: 'badge ' + cls }, text);
}

// A run's report as a readable list: Chinese names where known, nested parts indented.
function detailList(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? '是' : '否';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.length ? v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join('，') : '—';
  return h('dl', { class: 'detail' }, Object.entries(v).flatMap(([k, x]) => [
    h('dt', {}, DETAIL_LABELS[k] || k),
    h('dd', {}, typeof x === 'string' && /^\d{4}-\d\d-\d\dT/.test(x) ? fmtTime(x) : detailList(x)),
  ]));
}

async function viewSync(main) {
  const data = await api('/admin/sync/runs?limit=50');
  const runs = data.runs || [];
  const rejected = h('div', { id: 'rejected' });
  const progress = h('div', { id: 'job' });
  const runNow = (source) => api(`/admin/sync/${source}/run`, { json: {} })
    .then((r) => { toast(`已开始${SOURCES[source]}（运行 #${r.runId}）`); return followRun(r, progress); })
    .then((run) => { toast(`${SOURCES[run.source] || run.source} #${run.id}：${(RUN_STATUS[run.status] || [run.status])[0]}`, run.status === 'failed'); return viewSync(main); })
    .catch(fail);
  const showRejected = async (run) => {
    const list = await api(`/admin/sync/rejected?run=${run.id}&limit=200`);
    fill(rejected, h('h3', {}, `运行 #${run.id} 被拒绝的行（${run.rowsRejected} 行）`),
      list.rows.length ? h('table', { id: 'rejected-rows' }, h('thead', {}, h('tr', {}, ['时间', '原因', '原始内容'].map((t) => h('th', {}, t)))),
        h('tbody', {}, list.rows.map((r) => h('tr', {}, h('td', {}, fmtTime(r.at)), h('td', {}, r.reason), h('td', {}, h('code', {}, r.payload))))))
        : h('div', { class: 'empty' }, '没有被拒绝的行。'));
  };
  const rows = runs.map((r) => h('tr', { 'data-run': r.id },
    h('td', {}, '#' + r.id), h('td', {}, SOURCES[r.source] || r.source), h('td', {}, TRIGGERS[r.trigger] || r.trigger),
    h('td', {}, fmtTime(r.startedAt)), h('td', {}, fmtTime(r.finishedAt)), h('td', {}, badge(RUN_STATUS, r.status)),
    h('td', { class: 'num' }, r.rowsStored.toLocaleString('zh-CN')),
    h('td', { class: 'num' }, r.rowsRejected ? h('button', { type: 'button', class: 'link', onclick: () => showRejected(r).catch(fail) }, r.rowsRejected.toLocaleString('zh-CN')) : '0'),
    h('td', {}, r.error || '—'),
    h('td', {}, r.detail ? h('details', {}, h('summary', {}, '运行详情'), detailList(r.detail)) : '—')));
  fill(main, h('h2', {}, '同步记录'),
    h('div', { class: 'row' },
      h('button', { type: 'button', id: 'run-directory', onclick: () => runNow('directory') }, '立即同步通讯录'),
      h('button', { type: 'button', id: 'run-feed', onclick: () => runNow('feed') }, '立即同步指标数据'),
      h('button', { type: 'button', id: 'run-records', onclick: () => runNow('records') }, '立即同步办件明细'),
      h('span', { class: 'note' }, '时间均为北京时间。')),
    progress,
    runs.length ? h('table', { id: 'sync-runs' }, h('thead', {}, h('tr', {}, ['编号', '类型', '触发方式', '开始时间', '结束时间', '状态', '入库行数', '被拒绝行数', '错误', '详情'].map((t) => h('th', {}, t)))), h('tbody', {}, rows))
      : h('div', { class: 'empty' }, '暂无同步记录。'),
    rejected);
}

async function viewBriefings(main, day) {
  const data = await api('/admin/briefings' + (day ? '?date=' + day : ''));
  const date = data.date;
  const input = h('input', { type: 'date', id: 'briefing-date', value: date, 'aria-label': '简报日期', onchange: (e) => viewBriefings(main, e.target.value).catch(fail) });
  const selected = new Set();
  const force = h('input', { type: 'checkbox', id: 'resend-force', 'aria-label': '也重发已送达的' });
  const progress = h('div', { id: 'job' });
  const run = () => api('/admin/briefings/run', { json: { date } })
    .then((r) => { toast(`正在发送 ${date} 的简报（运行 #${r.runId}）…`); return followRun(r, progress); })
    .then((run) => {
      const sent = run.detail?.sent ?? 0;
      toast(run.status === 'ok' ? `已发送 ${date} 的简报：${sent} 人` : `简报运行 #${run.id}：${(RUN_STATUS[run.status] || [run.status])[0]}${run.error ? '，' + run.error : ''}`, run.status === 'failed');
      return viewBriefings(main, date);
    }).catch(fail);
  const resend = (users, forced) => api('/admin/briefings/resend', { json: { date, users, force: forced } })
    .then((r) => { toast(`已重发 ${r.resent.length} 人` + (r.refused.length ? `，${r.refused.length} 人未重发（${r.refused[0].reason}）` : '')); return viewBriefings(main, date); }).catch(fail);
  const counts = Object.entries(data.counts || {});
  const summary = h('div', { class: 'tiles', id: 'briefing-counts' },
    h('div', { class: 'tile' }, h('div', { class: 'n' }, data.total.toLocaleString('zh-CN')), h('div', {}, '投递总数')),
    counts.map(([k, n]) => h('div', { class: 'tile', 'data-status': k }, h('div', { class: 'n' }, n.toLocaleString('zh-CN')), h('div', {}, DELIVERY_STATUS[k] || k))),
    data.delayedNotices ? h('div', { class: 'tile' }, h('div', { class: 'n' }, data.delayedNotices), h('div', {}, '数据延迟通知')) : null);
  const people = (list, id, pick) => h('table', { id }, h('thead', {}, h('tr', {}, [pick ? '' : null, '用户', '状态', '尝试次数', '错误', '更新时间'].filter((t) => t !== null).map((t) => h('th', {}, t)))),
    h('tbody', {}, list.map((d) => h('tr', { 'data-user': d.userId },
      pick ? h('td', {}, h('input', { type: 'checkbox', 'aria-label': `选择${d.name}`, onchange: (e) => (e.target.checked ? selected.add(d.userId) : selected.delete(d.userId)) })) : null,
      h('td', {}, d.name, h('div', { class: 'note' }, d.userid)), h('td', {}, DELIVERY_STATUS[d.status] || d.status),
      h('td', { class: 'num' }, d.attempts), h('td', {}, [d.errorCode, d.lastError].filter(Boolean).join(' ') || '—'), h('td', {}, fmtTime(d.updatedAt))))));
  const failures = data.failures || [];
  const all = data.deliveries || [];
  fill(main, h('h2', {}, '简报投递'),
    h('div', { class: 'row' }, '简报日期 ', input,
      h('button', { type: 'button', class: 'primary', id: 'run-briefing', onclick: run }, '发送该日简报'),
      h('button', { type: 'button', id: 'resend-failed', disabled: !failures.length, onclick: () => resend(failures.map((f) => f.userId), false) }, `重发失败的（${failures.length}）`),
      h('span', { class: 'note' }, '发送该日简报只发给还没有收到的人。')),
    progress,
    data.total ? summary : h('div', { class: 'empty' }, `${date} 暂无投递记录。`),
    failures.length ? [h('h3', {}, `失败（${failures.length}）`), people(failures, 'briefing-failures', false)] : null,
    all.length ? [h('h3', {}, `逐人投递（前 ${all.length} 人）`),
      h('div', { class: 'row' }, h('button', { type: 'button', id: 'resend-selected', onclick: () => (selected.size ? resend([...selected], force.checked) : toast('请先勾选用户', true)) }, '重发所选'),
        h('label', {}, force, ' 也重发已送达的（强制，记入审计）')),
      people(all, 'briefing-people', true)] : null);
}

const DAY_KINDS = { holiday: '休息（节假日）', workday: '上班（调休）' };

async function viewCalendar(main, year) {
  year = year || new Date(Date.now() + 8 * 3600e3).getUTCFullYear();
  const data = await api('/admin/calendar?year=' + year);
  const change = (days) => api('/admin/calendar', { json: { days } }).then(() => { toast('节假日已更新'); return viewCalendar(main, year); }).catch(fail);
  const f = {
    date: h('input', { type: 'date', id: 'cal-date', 'aria-label': '日期' }),
    kind: h('select', { id: 'cal-kind', 'aria-label': '类型' }, Object.entries(DAY_KINDS).map(([v, l]) => h('option', { value: v }, l))),
    name: h('input', { id: 'cal-name', placeholder: '名称，如 国庆节', 'aria-label': '名称', maxlength: 20 }),
  };
  const weekday = (d) => '日一二三四五六'[new Date(d + 'T00:00:00Z').getUTCDay()];
  fill(main, h('h2', {}, '节假日与调休'),
    h('p', { class: 'note' }, '工作日为周一至周五；这里只登记例外：周一至周五的休息日，和周末的调休上班日。简报在工作日发送，日粒度的环比按此比较同类日子。'),
    h('div', { class: 'row' },
      h('button', { type: 'button', onclick: () => viewCalendar(main, year - 1).catch(fail) }, '‹ ' + (year - 1)),
      h('strong', { id: 'cal-year' }, year + ' 年'),
      h('button', { type: 'button', onclick: () => viewCalendar(main, year + 1).catch(fail) }, (year + 1) + ' ›')),
    h('div', { class: 'row panel' }, h('label', {}, '日期 ', f.date), h('label', {}, '类型 ', f.kind), h('label', {}, '名称 ', f.name),
      h('button', { type: 'button', class: 'primary', id: 'cal-add', onclick: () => (f.date.value ? change([{ date: f.date.value, kind: f.kind.value, name: f.name.value }]) : toast('请选择日期', true)) }, '添加')),
    data.days.length ? h('table', { id: 'calendar' }, h('thead', {}, h('tr', {}, ['日期', '星期', '类型', '名称', ''].map((t) => h('th', {}, t)))),
      h('tbody', {}, data.days.map((d) => h('tr', { 'data-date': d.date }, h('td', {}, d.date), h('td', {}, '周' + weekday(d.date)), h('td', {}, DAY_KINDS[d.kind] || d.kind), h('td', {}, d.name || '—'),
        h('td', {}, h('button', { type: 'button', class: 'danger', 'aria-label': `删除${d.date}`, onclick: () => change([{ date: d.date, kind: 'normal' }]) }, '删除'))))))
      : h('div', { class: 'empty' }, `${year} 年没有登记例外。`));
}

// ---- what audiences see on the phone's 指标 tab ------------------------------------------
async function viewBoards(main) {
  const data = await api('/admin/boards/rules');
  let audience = null; // null: everyone
  const who = h('span', { class: 'chip', id: 'rule-audience' }, '全部用户');
  const setAudience = (o) => { audience = o; who.textContent = o ? orgLabel(o) : '全部用户'; };
  const target = h('select', { id: 'rule-target', 'aria-label': '隐藏对象' },
    h('option', { value: 'peers' }, '同级排名（晾晒）'),
    data.boards.map((b) => [h('option', { value: 'board:' + b.code }, `看板：${b.name}`),
      b.sections.flatMap((sec) => sec.metrics.map((m) => h('option', { value: 'metric:' + m.code }, `　指标：${b.name} / ${sec.name} / ${m.name}`)))]));
  const change = (body) => api('/admin/boards/rules', { json: body })
    .then(() => { toast(body.hidden ? '已隐藏' : '已恢复显示'); return viewBoards(main); }).catch(fail);
  const bodyOf = (value, hidden, org) => {
    const [kind, code] = value.split(':');
    const b = { hidden, audienceOrgId: org };
    if (kind === 'peers') b.peers = true; else b[kind] = code;
    return b;
  };
  const kinds = { board: '看板', metric: '指标', peers: '同级排名' };
  fill(main, h('h2', {}, '看板与指标可见性'),
    h('p', { class: 'note' }, '手机端“指标”页按看板展示全部指标，指标页显示本单位在同级中的排名（晾晒）。可以对全部用户或某个组织下的用户隐藏某个看板、某项指标或同级排名。'),
    h('div', { class: 'row panel' }, '对 ', who, h('button', { type: 'button', onclick: () => setAudience(null) }, '全部用户'),
      picker('或搜索组织…', searchOrgs, orgLabel, setAudience, 'rule-org'), ' 隐藏 ', target,
      h('button', { type: 'button', class: 'primary', id: 'rule-add', onclick: () => change(bodyOf(target.value, true, audience ? audience.id : null)) }, '隐藏')),
    data.rules.length ? h('table', { id: 'board-rules' }, h('thead', {}, h('tr', {}, ['适用范围', '类型', '对象', ''].map((t) => h('th', {}, t)))),
      h('tbody', {}, data.rules.map((r) => h('tr', { 'data-rule': r.id }, h('td', {}, r.audienceName), h('td', {}, kinds[r.kind] || r.kind), h('td', {}, r.name),
        h('td', {}, h('button', { type: 'button', 'aria-label': `恢复显示${r.name}`, onclick: () => change(bodyOf(r.kind === 'peers' ? 'peers' : `${r.kind}:${r.code}`, false, r.audienceOrgId)) }, '恢复显示'))))))
      : h('div', { class: 'empty' }, '没有隐藏任何看板或指标：所有用户都能看到全部。'));
}

// ---- records (目录 / 事项 / 办件) ---------------------------------------------------------
const RECORD_KINDS = [['cases', '办件'], ['items', '事项'], ['catalog', '目录']];

// The full table of a kind: the column chooser (saved per user), sorting by a header,
// search, more rows by keyset cursor, and the download of the same query.
async function viewRecords(main, opts) {
  const o = Object.assign({ kind: 'cases', q: '', sort: '' }, opts || {});
  const saved = await api(`/me/columns/${o.kind}`);
  const chosen = new Set(saved.columns);
  const query = () => {
    const q = new URLSearchParams({ limit: '100', columns: [...chosen].join(',') });
    if (o.q) q.set('q', o.q);
    if (o.sort) q.set('sort', o.sort);
    return q;
  };
  const page = await api(`/records/${o.kind}?${query()}`);
  const cols = page.columns;
  const tbody = h('tbody', {});
  // Enumerated values by the names the server gives them (办结, not completed); times as local
  // times, like every other table here.
  const cell = (c, v) => {
    if (v === true || v === false) return v ? '是' : '否';
    if (v === null || v === undefined) return '—';
    if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) return fmtTime(v);
    return (c.values && c.values[v]) || String(v);
  };
  const addRows = (items) => tbody.append(...items.map((r) => h('tr', { 'data-id': r.id }, cols.map((c) => h('td', {}, cell(c, r[c.key]))))));
  addRows(page.items);
  let cursor = page.nextCursor;
  const more = h('button', { type: 'button', id: 'records-more', hidden: !cursor, onclick: async () => {
    try {
      const q = query();
      q.set('cursor', cursor);
      const next = await api(`/records/${o.kind}?${q}`);
      addRows(next.items);
      cursor = next.nextCursor;
      more.hidden = !cursor;
    } catch (e) { fail(e); }
  } }, '加载更多');
  const header = cols.map((c) => {
    if (!c.sortable) return h('th', {}, c.label);
    const now = o.sort === c.key ? ' ↑' : o.sort === '-' + c.key ? ' ↓' : '';
    const next = o.sort === c.key ? '-' + c.key : c.key;
    return h('th', {}, h('button', { type: 'button', class: 'link', 'data-sort': c.key, onclick: () => viewRecords(main, Object.assign({}, o, { sort: next })).catch(fail) }, c.label + now));
  });
  const search = h('input', { type: 'search', placeholder: '名称、编码或办件编号', value: o.q, 'aria-label': '搜索明细' });
  const kinds = h('select', { 'aria-label': '明细类型', id: 'records-kind', onchange: (e) => viewRecords(main, { kind: e.target.value }).catch(fail) },
    RECORD_KINDS.map(([k, l]) => h('option', { value: k, selected: k === o.kind }, l)));
  const chooser = h('details', { id: 'records-columns' }, h('summary', {}, '自定义表头'),
    h('div', { class: 'row' }, saved.available.map((c) => h('label', {}, h('input', { type: 'checkbox', value: c.key, checked: chosen.has(c.key), onchange: (e) => {
      if (e.target.checked) chosen.add(c.key); else chosen.delete(c.key);
    } }), c.label))),
    h('button', { type: 'button', class: 'primary', onclick: async () => {
      try {
        // Keep the kind's column order.
        const columns = saved.available.map((c) => c.key).filter((k) => chosen.has(k));
        await api(`/me/columns/${o.kind}`, { method: 'PUT', json: { columns } });
        toast('表头已保存');
        await viewRecords(main, o);
      } catch (e) { fail(e); }
    } }, '保存表头'));
  const total = page.total ? `共 ${page.total.count}${page.total.more ? '+' : ''} 条` : '';
  const download = (ext) => h('a', { class: 'button', href: `${API}/exports/records-${o.kind}.${ext}?${query()}`, download: '' }, `下载 ${ext.toUpperCase()}`);
  fill(main, h('h2', {}, '明细查询'),
    h('div', { class: 'row' }, kinds, search, h('button', { type: 'button', class: 'primary', id: 'records-search', onclick: () => viewRecords(main, Object.assign({}, o, { q: search.value.trim() })).catch(fail) }, '搜索'),
      h('span', { class: 'note', id: 'records-total' }, total), download('csv'), download('xlsx')),
    chooser,
    h('table', { id: 'records' }, h('thead', {}, h('tr', {}, header)), tbody),
    h('div', { class: 'pager' }, more));
}

// ---- open data applications (G+) -------------------------------------------------------
async function viewOpenApps(main, shown) {
  const data = await api('/admin/open-apps');
  const secretPanel = shown ? h('div', { class: 'panel', id: 'open-secret' },
    h('strong', {}, `「${shown.name}」的密钥（只显示这一次，请立即交给应用开发方）`),
    h('div', { class: 'row' }, 'client_id ', h('code', { id: 'open-client-id' }, shown.clientId)),
    h('div', { class: 'row' }, 'client_secret ', h('code', { id: 'open-client-secret' }, shown.clientSecret))) : null;
  const act = (path, done, options) => async () => {
    try { const r = await api(path, options || { json: {} }); toast(done); viewOpenApps(main, r && r.clientSecret ? r : null).catch(fail); } catch (e) { fail(e); }
  };
  const rows = data.items.map((a) => h('tr', { 'data-app': a.id },
    h('td', {}, a.name, h('div', { class: 'note' }, a.contact || '')),
    h('td', {}, h('code', {}, a.clientId)),
    h('td', {}, a.status === 'active' ? h('span', { class: 'badge ok' }, '正常') : h('span', { class: 'badge warn' }, '已暂停')),
    h('td', {}, a.orgs.map((o) => o.name).join('、')),
    h('td', {}, a.metrics.map(metricName).join('、')),
    h('td', {}, `${a.ratePerSecond} 次/秒`, h('div', { class: 'note' }, `${a.dailyQuota} 次/日`)),
    h('td', { class: 'ops' },
      h('button', { type: 'button', onclick: () => showUsage(a) }, '用量'),
      a.status === 'active'
        ? h('button', { type: 'button', class: 'danger', onclick: act(`/admin/open-apps/${a.id}/suspend`, '应用已暂停') }, '暂停')
        : h('button', { type: 'button', onclick: act(`/admin/open-apps/${a.id}/resume`, '应用已恢复') }, '恢复'),
      h('button', { type: 'button', onclick: () => { if (confirm('生成新密钥？旧密钥将在 24 小时后失效。')) act(`/admin/open-apps/${a.id}/rotate`, '已生成新密钥')(); } }, '轮换密钥'),
      h('button', { type: 'button', class: 'danger', onclick: () => { if (confirm(`删除「${a.name}」？其令牌立即失效。`)) act(`/admin/open-apps/${a.id}`, '应用已删除', { method: 'DELETE' })(); } }, '删除'))));
  const usage = h('div', { id: 'open-usage' });
  async function showUsage(a) {
    try {
      const u = await api(`/admin/open-apps/${a.id}/usage`);
      fill(usage, h('div', { class: 'panel' }, h('div', { class: 'row' }, h('strong', {}, `「${a.name}」近 30 天用量`),
        h('a', { href: `${API}/admin/open-apps/${a.id}/usage?format=csv` }, '导出 CSV')),
      u.items.length ? h('table', {}, h('thead', {}, h('tr', {}, ['日期', '调用', '返回行数', '错误', '限流'].map((t) => h('th', {}, t)))),
        h('tbody', {}, u.items.map((d) => h('tr', {}, h('td', {}, d.date), h('td', {}, d.calls), h('td', {}, d.rows), h('td', {}, d.errors), h('td', {}, d.throttled)))))
        : h('div', { class: 'empty' }, '暂无调用。')));
    } catch (e) { fail(e); }
  }
  const orgs = [];
  const chips = h('span', { class: 'chips' });
  const redrawChips = () => fill(chips, orgs.map((o, i) => h('span', { class: 'chip' }, o.name, h('button', { type: 'button', onclick: () => { orgs.splice(i, 1); redrawChips(); } }, '✕'))));
  const f = {
    name: h('input', { id: 'open-name', placeholder: '应用名称', maxlength: 60 }),
    contact: h('input', { id: 'open-contact', placeholder: '联系人与电话', maxlength: 200 }),
    rate: h('input', { id: 'open-rate', type: 'number', min: 0.01, step: 'any', value: 10, style: 'width:90px' }),
    quota: h('input', { id: 'open-quota', type: 'number', min: 1, value: 100000, style: 'width:120px' }),
    history: h('input', { id: 'open-history', type: 'number', min: 1, max: 3660, value: 400, style: 'width:80px' }),
  };
  const boxes = state.metrics.filter((m) => m.active).map((m) => h('label', {}, h('input', { type: 'checkbox', value: m.code, 'data-metric': m.code }), ` ${m.name} `));
  const create = async () => {
    try {
      const created = await api('/admin/open-apps', { json: {
        name: f.name.value, contact: f.contact.value, orgs: orgs.map((o) => o.id),
        metrics: boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value),
        ratePerSecond: Number(f.rate.value), dailyQuota: Number(f.quota.value), historyDays: Number(f.history.value),
      } });
      toast('应用已登记');
      viewOpenApps(main, created).catch(fail);
    } catch (e) { fail(e); }
  };
  fill(main, h('h2', {}, '开放应用'),
    h('p', { class: 'note' }, '其他政务应用通过开放接口（/open/v1，文档见 /open/openapi.json）读取指标：只能读取登记的指标、组织范围和历史深度，并受频率与每日配额限制。'),
    secretPanel,
    data.items.length ? h('table', { id: 'open-apps' }, h('thead', {}, h('tr', {}, ['应用', 'client_id', '状态', '组织范围', '指标', '限额', ''].map((t) => h('th', {}, t)))), h('tbody', {}, rows)) : h('div', { class: 'empty' }, '尚未登记开放应用。'),
    usage,
    h('div', { class: 'panel' }, h('strong', {}, '登记新应用'),
      h('div', { class: 'row' }, f.name, f.contact),
      h('div', { class: 'row' }, '组织范围 ', chips, picker('搜索组织…', searchOrgs, orgLabel, (o) => { if (!orgs.some((x) => x.id === o.id)) orgs.push(o); redrawChips(); }, 'open-org')),
      h('div', { class: 'row' }, '指标 ', boxes),
      h('div', { class: 'row' }, '频率（次/秒）', f.rate, '每日配额', f.quota, '历史天数', f.history),
      h('button', { type: 'button', class: 'primary', id: 'open-create', onclick: create }, '登记并生成密钥')));
}

// ---- audit log -------------------------------------------------------------------------
async function viewAudit(main, filter, page) {
  filter = filter || { actor: '', action: '', from: '', to: '' };
  page = page || 1;
  const q = new URLSearchParams({ page: String(page), pageSize: '30' });
  for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
  const data = await api('/admin/audit?' + q);
  const f = {
    actor: h('input', { placeholder: '操作人 ID', value: filter.actor, size: 8, 'aria-label': '操作人 ID' }),
    action: h('select', { 'aria-label': '操作', id: 'audit-action' }, h('option', { value: '' }, '全部操作'), h('option', { value: 'card_set.*', selected: filter.action === 'card_set.*' }, '卡片集（全部）'),
      Object.entries(ACTIONS).map(([v, l]) => h('option', { value: v, selected: filter.action === v }, l))),
    from: h('input', { type: 'date', value: filter.from, 'aria-label': '开始日期' }),
    to: h('input', { type: 'date', value: filter.to, 'aria-label': '结束日期' }),
  };
  const apply = (p) => viewAudit(main, { actor: f.actor.value.trim(), action: f.action.value, from: f.from.value, to: f.to.value }, p).catch(fail);
  const rows = data.items.map((e) => h('tr', { 'data-action': e.action },
    h('td', {}, fmtTime(e.at)), h('td', {}, e.actor, h('div', { class: 'note' }, e.actorId ?? '')),
    h('td', {}, ACTIONS[e.action] || e.action, h('div', { class: 'note' }, e.action)), h('td', {}, targetText(e.target), h('div', { class: 'note' }, e.target)),
    h('td', {}, e.before || e.after ? h('details', {}, h('summary', {}, '变更内容'),
      e.before ? h('div', {}, h('strong', {}, '之前'), h('pre', {}, JSON.stringify(e.before, null, 1))) : null,
      e.after ? h('div', {}, h('strong', {}, '之后'), h('pre', {}, JSON.stringify(e.after, null, 1))) : null) : '—')));
  const pages = Math.max(1, Math.ceil(data.total / data.pageSize));
  fill(main, h('h2', {}, '审计日志'),
    h('div', { class: 'row' }, f.actor, f.action, '从', f.from, '至', f.to, h('button', { type: 'button', class: 'primary', onclick: () => apply(1) }, '筛选'), h('span', { class: 'note' }, `共 ${data.total} 条`)),
    data.items.length ? h('table', { id: 'audit', 'data-filter-action': filter.action }, h('thead', {}, h('tr', {}, ['时间', '操作人', '操作', '对象', '详情'].map((t) => h('th', {}, t)))), h('tbody', {}, rows)) : h('div', { class: 'empty' }, '没有符合条件的记录。'),
    h('div', { class: 'pager' }, h('button', { type: 'button', disabled: page <= 1, onclick: () => apply(page - 1) }, '上一页'), `${page} / ${pages}`,
      h('button', { type: 'button', disabled: page >= pages, onclick: () => apply(page + 1) }, '下一页')));
}

start();
