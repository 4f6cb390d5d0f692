// On a narrow screen each table row is a card (style.css): label each cell with its column's
// heading, rows added later by live.js included. The pages work without it, unlabelled.
"use strict";
(function () {
  document.querySelectorAll("table").forEach(function (table) {
    const heads = Array.from(table.querySelectorAll("thead th")).map(function (th) { return th.textContent.trim(); });
    if (!heads.length) return;
    function label() {
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.from(row.cells).forEach(function (cell, i) {
          if (heads[i] && cell.colSpan === 1 && !cell.dataset.label) cell.dataset.label = heads[i];
        });
      });
    }
    label();
    new MutationObserver(label).observe(table, { childList: true, subtree: true });
  });
})();
