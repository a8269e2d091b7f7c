// Forms: after a refused submit, focus moves to the error summary (its links lead to each
// field); a time-zone picker nobody has touched yet starts at the browser's own zone; a page
// waiting for something to open (a session room) reloads itself when the server says it will;
// a table's cells are labelled with their column's heading, so that on a phone each row can
// be shown as a card (app.css, `table.stacked`).
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
  // Tables filled later by a script (the room's safety table) keep their columns.
  for (const table of document.querySelectorAll('main table')) {
    if (table.closest('[data-live], #safety') || table.querySelector('tbody') === null) {
      continue;
    }
    const headings = Array.from(table.querySelectorAll('thead th')).map((th) => th.textContent.trim());
    if (headings.length === 0) {
      continue;
    }
    for (const row of table.querySelectorAll('tbody tr')) {
      Array.from(row.children).forEach((cell, i) => {
        if (headings[i] && !cell.hasAttribute('data-label')) {
          cell.setAttribute('data-label', headings[i]);
        }
      });
    }
    table.classList.add('stacked');
  }
})();
