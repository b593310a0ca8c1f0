// The admin console end to end: a real `canmou demo` server (fresh data dir, free port) and a
// real headless Chromium driven through playwright-core. An administrator signs in through the
// DingTalk sandbox's QR page, creates a card set (reordering cards by drag and drop and by the
// buttons), publishes it, assigns it to 明州市, previews the home screen as demo-official and
// finds the audit entries, then queries the records (columns, sorting, search, download).
// Screenshots go to target/e2e/.
//
// E2E_SERVER_BIN: the canmou binary (default: $CARGO_TARGET_DIR or target/, debug build);
// E2E_CHROMIUM: the browser (default /usr/bin/chromium). The server refuses unknown CANMOU_*
// variables, hence the E2E_ prefix.
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..');
const SHOTS = path.join(ROOT, 'target', 'e2e');
const BIN = process.env.E2E_SERVER_BIN
  || path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target'), 'debug', 'canmou');
const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const START_TIMEOUT_MS = Number(process.env.E2E_START_TIMEOUT_MS || 300000);

let server;
let base;
let dataDir;
let profileDir;
let context;
let page;
let log = '';

function startServer() {
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.rmSync(path.join(SHOTS, 'failure.png'), { force: true });
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canmou-e2e-data-'));
  server = spawn(BIN, ['demo'], {
    env: Object.assign({}, process.env, {
      CANMOU_DEMO__DATA_DIR: dataDir,
      CANMOU_SERVER__HOST: '127.0.0.1',
      CANMOU_SERVER__PORT: '0',
      CANMOU_DEMO__DAYS: process.env.CANMOU_DEMO__DAYS || '30',
      RUST_LOG: process.env.RUST_LOG || 'warn',
      NO_COLOR: '1',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // .ci/run stops this process if the test itself cannot.
  fs.writeFileSync(path.join(SHOTS, 'server.pid'), String(server.pid));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start in ${START_TIMEOUT_MS} ms:\n${log}`)), START_TIMEOUT_MS);
    const watch = (chunk) => {
      log += chunk.toString();
      const m = log.match(/Canmou demo is running at (http:\/\/[^\s]+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    server.stdout.on('data', watch);
    server.stderr.on('data', watch);
    server.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the server exited (${code}):\n${log}`)); });
  });
}

function stopServer() {
  if (server && server.exitCode === null) server.kill('SIGTERM');
  try { fs.unlinkSync(path.join(SHOTS, 'server.pid')); } catch (_) { /* gone already */ }
  for (const dir of [dataDir, profileDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

process.on('exit', stopServer);

before(async () => {
  const t0 = Date.now();
  base = await startServer();
  console.log(`server up at ${base} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'canmou-e2e-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1366, height: 768 },
    locale: 'zh-CN',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] || await context.newPage();
  page.setDefaultTimeout(20000);
  page.on('pageerror', (e) => { console.error('page error:', e.message); });
});

after(async () => {
  if (context) await context.close();
  stopServer();
});

const shot = (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

async function cardOrder() {
  return page.$$eval('#card-list .card-metric', (els) => els.map((e) => e.value));
}

test('an administrator curates a card set in the console and sees it as a user would', async () => {
  try {
    await journey();
  } catch (e) {
    await shot('failure').catch(() => {});
    throw e;
  }
});

async function journey() {
  // Sign in through DingTalk's QR login (the sandbox's scan page in demo mode).
  await page.goto(base + '/admin');
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/sandbox\/dingtalk\/oauth2\/auth/);
  await shot('01-sandbox-scan');
  await page.locator('a', { hasText: '(demo-admin)' }).click();
  await page.waitForURL(/\/admin\/#?/);
  await page.locator('#who-name', { hasText: 'demo-admin' }).waitFor();
  await page.locator('#set-list button').first().waitFor();
  await shot('02-signed-in');

  // A new card set with three cards…
  const name = `E2E 明州专题 ${Date.now() % 100000}`;
  await page.click('#new-set');
  await page.fill('#set-name', name);
  await page.locator('#card-list .card-metric').nth(0).selectOption('collab.msg_total');
  await page.click('#add-card');
  await page.locator('#card-list .card-metric').nth(1).selectOption('service.cases_completed');
  await page.click('#add-card');
  await page.locator('#card-list .card-metric').nth(2).selectOption('mobile.pv');
  await page.locator('#card-list .card-row').nth(2).locator('input[aria-label="标题"]').fill('掌上办访问');
  // …reordered by drag and drop (the third card to the top)…
  await page.dragAndDrop('#card-list .card-row[data-index="2"] .handle', '#card-list .card-row[data-index="0"]');
  assert.deepEqual(await cardOrder(), ['mobile.pv', 'collab.msg_total', 'service.cases_completed']);
  // …and with the buttons (the last card up one).
  await page.getByRole('button', { name: '上移第3张' }).click();
  assert.deepEqual(await cardOrder(), ['mobile.pv', 'service.cases_completed', 'collab.msg_total']);
  await page.click('#save-set');
  await page.locator('#set-list button', { hasText: name }).waitFor();
  await page.locator('#editor .badge', { hasText: '未发布' }).waitFor();

  // Publish, then assign to 明州市.
  await page.click('#publish-set');
  await page.locator('#editor .badge', { hasText: '已发布 v1' }).waitFor();
  await page.fill('#assign-org', '明州市');
  await page.locator('#assignments .picker li button', { hasText: /明州市$/ }).first().click();
  await page.locator('#assignments .chip', { hasText: '明州市' }).waitFor();
  await shot('03-card-set-published');

  // The phone-sized preview as demo-official (who leads 明州市).
  await page.click('.tabs button[data-tab="preview"]');
  await page.fill('#preview-search', 'demo-official');
  await page.locator('.picker li button', { hasText: 'demo-official' }).first().click();
  await page.locator('#phone .m-card').first().waitFor();
  const phoneWidth = await page.$eval('#phone', (el) => el.getBoundingClientRect().width);
  assert.ok(phoneWidth >= 360 && phoneWidth <= 400, `phone width ${phoneWidth}`);
  assert.match(await page.textContent('#phone .bar'), new RegExp(`${name} v1`));
  const metrics = await page.$$eval('#phone .m-card', (els) => els.map((e) => e.dataset.metric));
  assert.deepEqual(metrics, ['mobile.pv', 'service.cases_completed', 'collab.msg_total']);
  assert.equal(await page.textContent('#phone .m-card .t >> nth=0').then((t) => t.replace(/（.*）$/, '')), '掌上办访问');
  // Each value reads as on the phone: its display carries the unit once (9.1万次, 3722件).
  const values = await page.$$eval('#phone .m-card .v', (els) => els.map((e) => e.textContent));
  for (const v of values) assert.match(v, /^[\d.]+万?[次件条]$/, `value ${v}`);
  await shot('04-preview-as-official');

  // The audit log shows what was done.
  await page.click('.tabs button[data-tab="audit"]');
  await page.locator('#audit').waitFor();
  for (const action of ['card_set.create', 'card_set.publish', 'card_set.assign']) {
    assert.ok(await page.locator(`#audit tr[data-action="${action}"]`).count() >= 1, `${action} in the audit log`);
  }
  await page.selectOption('#audit-action', 'card_set.publish');
  await page.getByRole('button', { name: '筛选' }).click();
  // The table is redrawn once the filtered answer arrives; until then the unfiltered one is still on screen.
  await page.locator('#audit[data-filter-action="card_set.publish"] tbody tr').first().waitFor();
  const filtered = await page.$$eval('#audit tbody tr', (rows) => rows.map((r) => r.dataset.action));
  assert.deepEqual([...new Set(filtered)], ['card_set.publish']);
  await shot('05-audit-log');

  // The card editor labels its fields and takes a percentage target as it is shown (95 → 95 %).
  await page.click('.tabs button[data-tab="sets"]');
  await page.locator('#set-list button', { hasText: name }).click();
  await page.locator('#card-list .card-metric').nth(2).selectOption('service.on_time_rate');
  const row = page.locator('#card-list .card-row').nth(2);
  assert.deepEqual(await row.locator('.field-label').allTextContents(), ['指标', '标题', '对比方式', '目标值（%）', '迷你图长度']);
  await row.locator('select[aria-label="对比方式"]').selectOption('target');
  await row.locator('input.card-target').fill('95');
  await page.click('#save-set');
  await page.locator('#toast', { hasText: '草稿已保存' }).waitFor();
  const saved = await page.evaluate(async (n) => {
    const sets = await (await fetch('/api/v1/admin/card-sets')).json();
    const set = (sets.items || sets.sets || sets).find((x) => x.name === n);
    const full = await (await fetch('/api/v1/admin/card-sets/' + set.id)).json();
    return (full.cards || full.draft.cards).find((c) => c.metric === 'service.on_time_rate').target;
  }, name);
  assert.equal(saved, 0.95, 'stored as a fraction');
  await shot('06-card-editor-labelled');

  // 同步记录: in Chinese, local times, readable details, rejected rows on demand.
  await page.click('.tabs button[data-tab="sync"]');
  await page.locator('#sync-runs tbody tr').first().waitFor();
  const heads = await page.$$eval('#sync-runs th', (ths) => ths.map((t) => t.textContent));
  assert.deepEqual(heads.slice(0, 6), ['编号', '类型', '触发方式', '开始时间', '结束时间', '状态']);
  const firstRun = await page.$$eval('#sync-runs tbody tr:first-child td', (tds) => tds.map((t) => t.textContent));
  assert.ok(['通讯录同步', '指标数据同步', '办件明细同步'].includes(firstRun[1]), firstRun[1]);
  assert.match(firstRun[3], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, 'a local time without zone or nanoseconds');
  assert.ok(['成功', '部分成功', '失败', '运行中'].includes(firstRun[5]), firstRun[5]);
  assert.doesNotMatch(await page.textContent('#sync-runs'), /startedAt|rowsStored|"\w+":/);
  await page.locator('#sync-runs details summary').first().click();
  await shot('07-sync-runs');
  // A directory sync started by hand is a job: its progress shows, then the list has the run.
  const before = await page.locator('#sync-runs tbody tr').count();
  await page.click('#run-directory');
  await page.waitForFunction(() => /通讯录同步 #\d+：成功/.test(document.getElementById('toast').textContent), null, { timeout: 180000 });
  await page.waitForFunction((n) => document.querySelectorAll('#sync-runs tbody tr').length > n, before, { timeout: 180000 });
  // The scheduler may have started a run of its own since: find this one by its number.
  const runId = /通讯录同步 #(\d+)/.exec(await page.textContent('#toast'))[1];
  const byHand = await page.$$eval(`#sync-runs tbody tr[data-run="${runId}"] td`, (tds) => tds.map((t) => t.textContent));
  assert.deepEqual([byHand[1], byHand[2], byHand[5]], ['通讯录同步', '手动', '成功']);
  await shot('07b-sync-run-by-hand');

  // 简报投递: send the reported day's briefings, then counts and the per-person list.
  await page.click('.tabs button[data-tab="briefings"]');
  await page.locator('#run-briefing').waitFor();
  await page.click('#run-briefing');
  await page.locator('#briefing-counts').waitFor({ timeout: 180000 });
  const total = Number((await page.textContent('#briefing-counts .tile .n')).replace(/,/g, ''));
  assert.ok(total > 0, `${total} deliveries`);
  assert.ok(await page.locator('#briefing-people tbody tr').count() > 0, 'a per-person list');
  const statuses = await page.$$eval('#briefing-people tbody tr td:nth-child(3)', (tds) => [...new Set(tds.map((t) => t.textContent))]);
  for (const st of statuses) assert.match(st, /[\u4e00-\u9fff]/, `a Chinese status: ${st}`);
  await shot('08-briefings');

  // 节假日: add a holiday and remove it again.
  await page.click('.tabs button[data-tab="calendar"]');
  await page.locator('#cal-year').waitFor();
  const year = Number((await page.textContent('#cal-year')).replace(/\D/g, ''));
  await page.fill('#cal-date', `${year}-12-24`);
  await page.selectOption('#cal-kind', 'holiday');
  await page.fill('#cal-name', 'E2E 休息日');
  await page.click('#cal-add');
  await page.locator(`#calendar tr[data-date="${year}-12-24"]`).waitFor();
  assert.match(await page.textContent(`#calendar tr[data-date="${year}-12-24"]`), /休息（节假日）E2E 休息日/);
  await shot('09-calendar');
  await page.getByRole('button', { name: `删除${year}-12-24` }).click();
  await page.locator(`#calendar tr[data-date="${year}-12-24"]`).waitFor({ state: 'detached' });

  // 看板可见性: hide 移动政务 from 明州市's users, then show it again.
  await page.click('.tabs button[data-tab="boards"]');
  await page.locator('#rule-target').waitFor();
  await page.fill('#rule-org', '明州市');
  await page.locator('.picker li button', { hasText: /明州市$/ }).first().click();
  await page.selectOption('#rule-target', 'board:mobile');
  await page.click('#rule-add');
  await page.locator('#board-rules tbody tr', { hasText: '移动政务' }).waitFor();
  assert.match(await page.textContent('#board-rules tbody tr'), /明州市看板移动政务/);
  await shot('10-board-visibility');
  await page.getByRole('button', { name: '恢复显示移动政务' }).click();
  await page.locator('#board-rules').waitFor({ state: 'detached' });

  // The audit log names every action in Chinese.
  await page.click('.tabs button[data-tab="audit"]');
  await page.locator('#audit').waitFor();
  const actions = await page.$$eval('#audit tbody tr', (rows) => rows.map((r) => [r.dataset.action, r.children[2].firstChild.textContent, r.children[3].firstChild.textContent]));
  for (const [code, label, target] of actions) {
    assert.notEqual(label, code, `${code} is translated`);
    assert.match(target, /[\u4e00-\u9fff]/, `the target of ${code} reads in Chinese: ${target}`);
  }
  for (const code of ['briefing.run', 'calendar.change', 'board_rule.hide', 'board_rule.show']) {
    assert.ok(actions.some(([c]) => c === code), `${code} in the audit log`);
  }
  await shot('11-audit-translated');

  // The records behind the numbers: the full table, its column chooser, sorting, search and
  // the download of the same query.
  await page.click('.tabs button[data-tab="records"]');
  await page.locator('#records tbody tr').first().waitFor();
  assert.match(await page.textContent('#records-total'), /^共 \d+\+? 条$/);
  await page.click('#records-columns summary');
  await page.locator('#records-columns input[value="channel"]').check();
  await page.locator('#records-columns button', { hasText: '保存表头' }).click();
  await page.locator('#records thead th', { hasText: '申办渠道' }).waitFor();
  await page.click('#records thead button[data-sort="workingDays"]');
  await page.locator('#records thead button[data-sort="workingDays"]', { hasText: '↑' }).waitFor();
  const col = await page.$$eval('#records thead th', (ths) => ths.findIndex((t) => t.textContent.startsWith('已用工作日')));
  const days = await page.$$eval('#records tbody tr', (rows, i) => rows.map((r) => Number(r.children[i].textContent)), col);
  assert.deepEqual(days, [...days].sort((x, y) => x - y), 'sorted by working days');
  const channelCol = await page.$$eval('#records thead th', (ths) => ths.findIndex((t) => t.textContent.startsWith('申办渠道')));
  const channels = await page.$$eval('#records tbody tr', (rows, i) => rows.map((r) => r.children[i].textContent), channelCol);
  assert.ok(channels.length > 0 && channels.every((c) => ['窗口', '网上', '掌上'].includes(c)), `channels by name: ${channels.slice(0, 3)}`);
  await page.fill('input[aria-label="搜索明细"]', '食品');
  await page.click('#records-search');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#records tbody tr')];
    return rows.length > 0 && rows.every((r) => r.textContent.includes('食品'));
  }, null, { timeout: 20000 });
  const nameCol = await page.$$eval('#records thead th', (ths) => ths.findIndex((t) => t.textContent.startsWith('事项名称')));
  const names = await page.$$eval('#records tbody tr', (rows, i) => rows.map((r) => r.children[i].textContent), nameCol);
  assert.ok(names.length > 0 && names.every((n) => n.includes('食品')), `searched: ${names.slice(0, 3)}`);
  const href = await page.getAttribute('#main a:has-text("下载 CSV")', 'href');
  assert.match(href, /\/exports\/records-cases\.csv\?.*q=%E9%A3%9F%E5%93%81/);
  const file = await page.request.get(base + href);
  assert.equal(file.status(), 200);
  assert.ok((await file.text()).startsWith('\ufeff办件编号'), 'CSV with a BOM and the chosen headers');
  await shot('12-records');

  // Open data: register an application, see its secret once, suspend it; all in the audit log.
  await page.click('.tabs button[data-tab="openapps"]');
  await page.locator('#open-create').waitFor();
  await page.fill('#open-name', 'E2E 城市大脑');
  await page.fill('#open-org', '明州市');
  await page.locator('#main .picker li button', { hasText: /明州市$/ }).first().click();
  await page.locator('#main .chip', { hasText: '明州市' }).waitFor();
  await page.check('input[data-metric="collab.msg_total"]');
  await page.click('#open-create');
  await page.locator('#open-secret').waitFor();
  const secret = await page.textContent('#open-client-secret');
  assert.ok(secret.length >= 40, 'the secret is shown');
  const appRow = page.locator('#open-apps tr', { hasText: 'E2E 城市大脑' });
  await appRow.getByRole('button', { name: '暂停' }).click();
  await appRow.locator('.badge', { hasText: '已暂停' }).waitFor();
  assert.equal(await page.locator('#open-secret').count(), 0, 'the secret is not shown again');
  await shot('13-open-apps');
}
