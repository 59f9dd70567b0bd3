// Optional controls: filter the findings, sort the tables, keep the view in the URL fragment.
// Without JS every finding is shown, the tables keep their order and the controls stay hidden.
(function () {
  "use strict";
  var VIEW = "#view?";

  // --- sortable tables: each header becomes a button (keyboard reachable), aria-sort says the order ---
  function cellValue(row, index) {
    var cell = row.cells[index];
    var text = cell ? cell.textContent.trim() : "";
    var number = parseFloat(text.replace(/[ ,%]/g, ""));
    return isNaN(number) || !/^[\d., %/-]+$/.test(text) ? text.toLowerCase() : number;
  }
  function sortBy(table, index, header) {
    var body = table.tBodies[0];
    var descending = header.getAttribute("aria-sort") === "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index), y = cellValue(b, index);
      var order = typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === "number" ? -1 : 1);
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    if (!table.tHead || !table.tBodies.length) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, index, th); });
    });
  });

  // --- filters ---
  var filters = document.getElementById("filters");
  if (!filters) { return; }
  filters.hidden = false;
  var selects = filters.querySelectorAll("select");
  var text = document.getElementById("filter-text");
  var count = document.getElementById("filter-count");

  function wanted(name) {
    var set = {};
    filters.querySelectorAll("input[name=" + name + "]").forEach(function (box) { set[box.value] = box.checked; });
    return set;
  }
  function apply() {
    var status = wanted("status"), severity = wanted("severity");
    var choice = {};
    selects.forEach(function (select) { choice[select.name] = select.value; });
    var needle = text.value.trim().toLowerCase();
    var shown = 0, listed = 0;
    document.querySelectorAll("[data-resource]").forEach(function (resource) {
      var place = (!choice.subscription || resource.dataset.subscription === choice.subscription) &&
        (!choice.region || resource.dataset.region === choice.region);
      var header = resource.querySelector("h4").textContent + " " + resource.querySelector(".rid").textContent;
      var visible = 0;
      resource.querySelectorAll("[data-status]").forEach(function (item) {
        var finding = item.dataset.severity !== undefined;
        var match = place && status[item.dataset.status] &&
          (!finding || severity[item.dataset.severity]) &&
          (!choice.policy || item.dataset.policy === choice.policy) &&
          (!needle || (header + " " + item.textContent).toLowerCase().indexOf(needle) !== -1);
        item.hidden = !match;
        if (finding) { listed += 1; if (match) { shown += 1; } }
        if (match) { visible += 1; }
      });
      resource.hidden = visible === 0;
    });
    document.querySelectorAll("[data-group]").forEach(function (group) {
      group.hidden = group.querySelector("[data-resource]:not([hidden])") === null;
    });
    count.value = "showing " + shown + " of " + listed + " listed findings";
    filterMatrix(status, severity, choice, needle);
  }

  // The matrix: a row shows when its place matches and, once the severity or policy filter narrows
  // the view, when it has a matching verdict (a failure at a ticked severity; for a chosen policy, that
  // policy's verdict with a ticked status).
  var matrix = document.getElementById("estate-matrix");
  var matrixCount = document.getElementById("matrix-count");
  var columns = {};
  if (matrix) {
    Array.prototype.forEach.call(matrix.tHead.rows[0].cells, function (th, index) {
      if (th.classList.contains("p")) { columns[th.textContent.trim()] = index; }
    });
  }
  var VERDICTS = {mp: "pass", me: "error", mw: "waived", ms: "skipped", mn: "none"};
  var SEVERITIES = {mc: "critical", mh: "high", mm: "medium", ml: "low", mi: "info"};
  function verdict(cell) {
    var name = cell.className;
    if (SEVERITIES[name]) { return {status: "fail", severity: SEVERITIES[name]}; }
    return {status: VERDICTS[name] || "none", severity: null};
  }
  function filterMatrix(status, severity, choice, needle) {
    if (!matrix) { return; }
    var narrowed = Object.keys(severity).some(function (key) { return !severity[key]; });
    var shown = 0, rows = matrix.tBodies[0].rows;
    Array.prototype.forEach.call(rows, function (row) {
      var match = (!choice.subscription || row.dataset.subscription === choice.subscription) &&
        (!choice.region || row.dataset.region === choice.region) &&
        (!needle || row.textContent.toLowerCase().indexOf(needle) !== -1);
      if (match && choice.policy) {
        var cell = row.cells[columns[choice.policy]];
        var v = cell ? verdict(cell) : {status: "none"};
        match = !!status[v.status] && (v.status !== "fail" || !!severity[v.severity]);
      } else if (match && narrowed) {
        match = Array.prototype.some.call(row.cells, function (cell) {
          var v = verdict(cell);
          return v.status === "fail" && status.fail && severity[v.severity];
        });
      }
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    matrixCount.value = "showing " + shown + " of " + rows.length + " clusters";
  }

  // The view in the fragment: #view?status=fail,error&severity=high&subscription=…&q=… (a link
  // reproduces it); a section link (#findings) leaves the view as it is.
  function save() {
    var params = new URLSearchParams();
    ["status", "severity"].forEach(function (name) {
      var on = [];
      filters.querySelectorAll("input[name=" + name + "]").forEach(function (box) { if (box.checked) { on.push(box.value); } });
      params.set(name, on.join(","));
    });
    selects.forEach(function (select) { if (select.value) { params.set(select.name, select.value); } });
    if (text.value.trim()) { params.set("q", text.value.trim()); }
    history.replaceState(null, "", VIEW + params.toString());
  }
  function restore() {
    if (location.hash.indexOf(VIEW) !== 0) { return; }
    var params = new URLSearchParams(location.hash.slice(VIEW.length));
    ["status", "severity"].forEach(function (name) {
      if (!params.has(name)) { return; }
      var on = params.get(name).split(",");
      filters.querySelectorAll("input[name=" + name + "]").forEach(function (box) { box.checked = on.indexOf(box.value) !== -1; });
    });
    selects.forEach(function (select) {
      var value = params.get(select.name) || "";
      select.value = Array.prototype.some.call(select.options, function (o) { return o.value === value; }) ? value : "";
    });
    text.value = params.get("q") || "";
  }
  filters.addEventListener("input", function () { apply(); save(); });
  filters.addEventListener("change", function () { apply(); save(); });
  window.addEventListener("hashchange", function () { restore(); apply(); });
  restore();
  apply();
}());
