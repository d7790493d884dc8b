/* Every page: a table written without the ui.table macro goes into a .table-wrap box, so that a wide
   table scrolls inside its box (never the page) and the box is reachable with the keyboard. Also after
   HTMX swaps. */
(function () {
  "use strict";

  function label(table) {
    if (table.caption && table.caption.textContent.trim()) return table.caption.textContent.trim();
    var box = table.closest("section, .card, main");
    var heading = box && box.querySelector("h1, h2, h3");
    return heading ? heading.textContent.trim() : document.title;
  }

  function wrap(root) {
    var tables = (root && root.querySelectorAll ? root : document).querySelectorAll("table");
    Array.prototype.forEach.call(tables, function (table) {
      var parent = table.parentElement;
      if (!parent || parent.classList.contains("table-wrap")) return;
      var box = document.createElement("div");
      box.className = "table-wrap";
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", label(table));
      parent.insertBefore(box, table);
      box.appendChild(table);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { wrap(document); });
  } else {
    wrap(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) { wrap(event.target); });
})();
