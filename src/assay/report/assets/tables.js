// Click a column header to sort the table by it (numbers as numbers); click again to
// reverse. Material re-renders pages without a reload (instant navigation is off, but
// document$ also fires on the first load), so the handlers attach on each page.
(function () {
  // A cell is a number when it starts with one that stands alone ("0.93", "12.5 s",
  // "0.91 (0.88-0.94)", "40%"); run ids and dates ("20261129-0103...", "2026-11-29")
  // sort as text, which orders them by time, not by their first digits.
  var NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?(%|\s|$)/i;
  function key(cell) {
    var text = cell.textContent.trim().replace(/,/g, "");
    return NUMBER.test(text) ? parseFloat(text) : text.toLowerCase();
  }
  function compare(a, b) {
    if (typeof a === typeof b) { return a < b ? -1 : a > b ? 1 : 0; }
    return typeof a === "number" ? -1 : 1;
  }
  function sortable(table) {
    var headers = table.querySelectorAll("thead th");
    headers.forEach(function (header, column) {
      header.addEventListener("click", function () {
        var descending = header.getAttribute("aria-sort") === "ascending";
        headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
        header.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r, s) {
          var order = compare(key(r.cells[column]), key(s.cells[column]));
          return descending ? -order : order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }
  function attach() {
    document.querySelectorAll(".md-typeset table:not([class])").forEach(sortable);
  }
  if (typeof document$ !== "undefined") { document$.subscribe(attach); }
  else { document.addEventListener("DOMContentLoaded", attach); }
})();
