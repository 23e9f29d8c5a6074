// Leaderboard table: sort by a column, show a family's columns. The data is already in the
// page (rendered at build time): nothing is fetched, so the site works from file://.
"use strict";

(function () {
  const table = document.getElementById("leaderboard");
  if (!table) {
    return;
  }
  const body = table.tBodies[0];
  const headers = Array.from(table.tHead.querySelectorAll("th[data-col]"));
  const status = document.getElementById("sort-status");

  function cellValue(row, header) {
    const cell = row.querySelector('[data-col="' + CSS.escape(header.dataset.col) + '"]');
    const raw = cell ? cell.dataset.value : "";
    if (raw === undefined || raw === "") {
      return null;
    }
    return header.dataset.type === "number" ? Number(raw) : raw;
  }

  // Missing values stay last whatever the direction: they are not scores.
  function compare(a, b, sign) {
    if (a === null || b === null) {
      return (a === null) - (b === null);
    }
    if (typeof a === "number") {
      return sign * (a - b);
    }
    return sign * a.localeCompare(b);
  }

  function sortBy(header) {
    const current = header.getAttribute("aria-sort");
    let direction;
    if (current === "descending") {
      direction = "ascending";
    } else if (current === "ascending") {
      direction = "descending";
    } else {
      // Scores start best first, names A to Z.
      direction = header.dataset.type === "number" ? "descending" : "ascending";
    }
    headers.forEach(function (other) {
      other.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", direction);
    const sign = direction === "ascending" ? 1 : -1;
    const rows = Array.from(body.rows);
    rows.sort(function (a, b) {
      return compare(cellValue(a, header), cellValue(b, header), sign);
    });
    rows.forEach(function (row) {
      body.appendChild(row);
    });
    if (status) {
      status.textContent = "Sorted by " + header.querySelector("button").textContent.trim() +
        ", " + direction + ".";
    }
  }

  headers.forEach(function (header) {
    const button = header.querySelector("button");
    if (button) {
      // A <button> is activated by click, Enter and Space alike.
      button.addEventListener("click", function () {
        sortBy(header);
      });
    }
  });

  const filter = document.getElementById("family-filter");
  if (filter) {
    const cells = Array.from(table.querySelectorAll("[data-col]"));
    const applyFilter = function () {
      const family = filter.value;
      cells.forEach(function (cell) {
        const kind = cell.dataset.kind;
        let shown;
        if (kind === "model") {
          shown = true;
        } else if (family === "") {
          shown = kind === "overall" || kind === "family";
        } else {
          shown = cell.dataset.family === family && (kind === "family" || kind === "task");
        }
        cell.hidden = !shown;
      });
    };
    filter.addEventListener("change", applyFilter);
    applyFilter();
    document.getElementById("table-controls").hidden = false;
  }
})();
