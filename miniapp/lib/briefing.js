'use strict';
// Briefing settings: the server accepts a time of day on the quarter hour.

const TIME_OPTIONS = [];
for (let h = 0; h < 24; h++) {
  for (let m = 0; m < 60; m += 15) TIME_OPTIONS.push((h < 10 ? '0' : '') + h + ':' + (m ? m : '00'));
}

function isQuarterHour(t) {
  return TIME_OPTIONS.indexOf(t) >= 0;
}

// The picker index of a time; an off-grid time snaps down to its quarter hour.
function timeIndex(t) {
  const m = /^(\d{1,2}):(\d{2})$/.exec(t || '');
  if (!m) return TIME_OPTIONS.indexOf('08:30');
  const minutes = Math.min(23 * 60 + 45, Number(m[1]) * 60 + Number(m[2]));
  return Math.floor(minutes / 15);
}

function normalize(b) {
  const s = b || {};
  return {
    enabled: s.enabled !== false,
    time: TIME_OPTIONS[timeIndex(s.time)],
    includeWeekends: !!s.includeWeekends,
  };
}

module.exports = { TIME_OPTIONS, isQuarterHour, timeIndex, normalize };
