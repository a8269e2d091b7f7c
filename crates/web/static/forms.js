// Forms: after a refused submit, focus moves to the error summary (its links lead to each
// field); a time-zone picker nobody has touched yet starts at the browser's own zone; a page
// waiting for something to open (a session room) reloads itself when the server says it will.
(function () {
  'use strict';
  const summary = document.querySelector('.error-summary[tabindex]');
  if (summary) {
    summary.focus();
  }
  let zone = '';
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch (e) {
    zone = '';
  }
  for (const select of document.querySelectorAll('select[data-browser-zone]')) {
    if (!select.value && zone && Array.from(select.options).some((o) => o.value === zone)) {
      select.value = zone;
    }
  }
  // The server counts the seconds (its clock, not the browser's, decides when a room opens).
  const waiting = document.querySelector('[data-reload-in]');
  const seconds = waiting ? Number(waiting.dataset.reloadIn) : NaN;
  if (Number.isFinite(seconds) && seconds >= 0) {
    setTimeout(() => { window.location.reload(); }, seconds * 1000);
  }
})();
