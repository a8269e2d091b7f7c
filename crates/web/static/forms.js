// Forms: after a refused submit, focus moves to the error summary (its links lead to each
// field); a time-zone picker nobody has touched yet starts at the browser's own zone.
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
})();
