'use strict';
// Navigation state shared by the pages: the selection (org, grain, date), the org breadcrumb
// stack of a drill-down, page URLs, and the org picked on the search tab for the home tab.

const period = require('./period');
const { withQuery } = require('./api');

const PENDING_ORG_KEY = 'canmou.pendingOrg';

function decode(v) {
  if (v === undefined || v === null) return '';
  try {
    return decodeURIComponent(String(v));
  } catch (_) {
    return String(v);
  }
}

// The selection from a page's onLoad options (e.g. eapp://pages/home/index?date=2026-11-26).
// Unknown grains and malformed dates are dropped, so the server's defaults apply.
function selectionFromOptions(options) {
  const o = options || {};
  const grain = period.isGrain(decode(o.grain)) ? decode(o.grain) : null;
  const rawDate = decode(o.date);
  let date = period.isDate(rawDate) ? rawDate : null;
  if (date && grain) date = period.alignDate(grain, date);
  const orgId = decode(o.org);
  return {
    org: orgId ? { id: orgId, name: decode(o.orgName) } : null,
    grain,
    date,
  };
}

// The API parameters of a selection.
function queryOf(sel) {
  return { org: sel.org ? sel.org.id : null, grain: sel.grain, date: sel.date };
}

// Switching grain keeps the date inside the new grain's period (aligned to its first day).
function withGrain(sel, grain) {
  if (!period.isGrain(grain)) return sel;
  return Object.assign({}, sel, { grain, date: sel.date ? period.alignDate(grain, sel.date) : null });
}

function withDate(sel, date) {
  if (!period.isDate(date)) return sel;
  return Object.assign({}, sel, { date: sel.grain ? period.alignDate(sel.grain, date) : date });
}

// One period back (n = -1) or forward (n = 1); needs a known grain and date.
function stepPeriod(sel, n) {
  if (!sel.grain || !sel.date) return sel;
  return Object.assign({}, sel, { date: period.shiftPeriod(sel.grain, sel.date, n) });
}

function withOrg(sel, org) {
  return Object.assign({}, sel, { org: org ? { id: String(org.id), name: org.name || '' } : null });
}

// Breadcrumb stack: going down pushes; an org already on the stack truncates back to it.
function pushCrumb(stack, org) {
  const crumb = { id: String(org.id), name: org.name || '' };
  const at = stack.findIndex((c) => c.id === crumb.id);
  if (at >= 0) return stack.slice(0, at + 1);
  return stack.concat([crumb]);
}

function popTo(stack, index) {
  if (index < 0 || index >= stack.length) return stack;
  return stack.slice(0, index + 1);
}

function crumbsFrom(list) {
  return (list || []).map((c) => ({ id: String(c.id), name: c.name || '' }));
}

// A breadcrumb marked with what may be tapped: a crumb at or below one of the caller's scope
// orgs. Without known scopes, only the current org (the last crumb) is assumed in scope, so no
// crumb ever links out of scope.
function scopedCrumbs(crumbs, scopeIds) {
  const scopes = new Set((scopeIds || []).map(String));
  let inside = false;
  return (crumbs || []).map((c, i, all) => {
    if (scopes.has(String(c.id))) inside = true;
    const link = (inside || (i === all.length - 1 && scopes.size === 0)) && i < all.length - 1;
    return { id: String(c.id), name: c.name || '', link };
  });
}

function pageUrl(path, query) {
  return withQuery(path, query);
}

// The search tab hands an org to the home tab through storage (switchTab carries no query).
function setPendingOrg(storage, org) {
  storage.set(PENDING_ORG_KEY, { id: String(org.id), name: org.name || '' });
}

function takePendingOrg(storage) {
  const org = storage.get(PENDING_ORG_KEY);
  if (org) storage.remove(PENDING_ORG_KEY);
  return org;
}

module.exports = {
  scopedCrumbs,
  selectionFromOptions,
  queryOf,
  withGrain,
  withDate,
  withOrg,
  stepPeriod,
  pushCrumb,
  popTo,
  crumbsFrom,
  pageUrl,
  setPendingOrg,
  takePendingOrg,
  PENDING_ORG_KEY,
};
