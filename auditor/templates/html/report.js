// Optional controls: filter the findings, sort the tables, page the big ones, keep the view in the URL
// fragment. Without JS every table is shown as written (the big ones: their first page) and the
// controls stay hidden. Everything shown from data is built with textContent: never as markup.
(function () {
  "use strict";
  var VIEW = "#view?";
  var node = document.getElementById("report-data");
  var data = node ? JSON.parse(node.textContent) : null;
  var paged = {};  // table id -> pager controller

  function make(tag, text, className) {
    var element = document.createElement(tag);
    if (text !== undefined && text !== null) { element.textContent = text; }
    if (className) { element.className = className; }
    return element;
  }
  function link(href, text) {
    var a = make("a", text);
    a.href = href;
    return a;
  }
  function number(value) { return value.toLocaleString("en-US"); }
  function compare(x, y) {
    return typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === "number" ? -1 : 1);
  }

  // --- sortable tables: each header becomes a button (keyboard reachable), aria-sort says the order ---
  function cellValue(row, index) {
    var cell = row.cells[index];
    var text = cell ? cell.textContent.trim() : "";
    var value = parseFloat(text.replace(/[ ,%]/g, ""));
    return isNaN(value) || !/^[\d., %/-]+$/.test(text) ? text.toLowerCase() : value;
  }
  function sortRows(table, index, descending) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var order = compare(cellValue(a, index), cellValue(b, index));
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  function sortBy(table, index, header) {
    var descending = header.getAttribute("aria-sort") === "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
    var pager = paged[table.id];
    if (pager) { pager.sort(index, descending); } else { sortRows(table, index, descending); }
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    if (!table.tHead || !table.tBodies.length) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      var button = make("button", null, "sort");
      button.type = "button";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, index, th); });
    });
  });

  // --- a table paged from data: rows are the data's items; filter, sort and page them, render one page ---
  // options: table, pager (the element holding the page buttons), items, size, render(item) -> <tr>,
  // key(item, column) -> a sort value, count (an <output>), noun.
  function Pager(options) {
    var table = options.table, items = options.items, size = options.size, render = options.render;
    var holder = options.pager, count = options.count, noun = options.noun;
    var order = items.slice(), matches = order, page = 0;
    var previous = make("button", "Previous page"), next = make("button", "Next page"), where = make("span");
    previous.type = next.type = "button";
    holder.appendChild(previous); holder.appendChild(where); holder.appendChild(next);
    previous.addEventListener("click", function () { page -= 1; show(); });
    next.addEventListener("click", function () { page += 1; show(); });
    var predicate = null;
    function show() {
      var pages = Math.max(1, Math.ceil(matches.length / size));
      page = Math.min(Math.max(page, 0), pages - 1);
      var start = page * size, rows = document.createDocumentFragment();
      matches.slice(start, start + size).forEach(function (item) { rows.appendChild(render(item)); });
      table.tBodies[0].replaceChildren(rows);
      holder.hidden = items.length <= size;
      where.textContent = matches.length ?
        " rows " + number(start + 1) + "–" + number(Math.min(start + size, matches.length)) + " of " + number(matches.length) + " " :
        " no rows ";
      previous.disabled = page === 0;
      next.disabled = page >= pages - 1;
      count.value = "showing " + number(matches.length) + " of " + number(items.length) + " " + noun;
    }
    return {
      filter: function (test) {
        predicate = test;
        matches = test ? order.filter(test) : order;
        page = 0;
        show();
        return matches.length;
      },
      sort: function (index, descending) {
        var keyed = items.map(function (item) { return [options.key(item, index), item]; });
        keyed.sort(function (a, b) {
          var result = compare(a[0], b[0]);
          return descending ? -result : result;
        });
        order = keyed.map(function (pair) { return pair[1]; });
        matches = predicate ? order.filter(predicate) : order;
        show();
      },
      refresh: show
    };
  }

  // The view: #view?status=fail,error&severity=high&subscription=…&policy=…&q=…&cluster=r-… (a link
  // reproduces it); a section link (#findings) leaves the view as it is.
  var filters = document.getElementById("filters");
  if (!filters) { return; }
  filters.hidden = false;
  var selects = filters.querySelectorAll("select");
  var text = document.getElementById("filter-text");
  var count = document.getElementById("filter-count");
  var chip = document.getElementById("filter-cluster");
  var cluster = "";

  function ticked(name) {
    var on = [];
    filters.querySelectorAll("input[name=" + name + "]").forEach(function (box) { if (box.checked) { on.push(box.value); } });
    return on;
  }
  function fragment(overrides) {
    var params = new URLSearchParams();
    params.set("status", ticked("status").join(","));
    params.set("severity", ticked("severity").join(","));
    selects.forEach(function (select) { if (select.value) { params.set(select.name, select.value); } });
    if (text.value.trim()) { params.set("q", text.value.trim()); }
    if (cluster) { params.set("cluster", cluster); }
    Object.keys(overrides || {}).forEach(function (name) { params.set(name, overrides[name]); });
    return VIEW + params.toString();
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
    cluster = params.get("cluster") || "";
  }

  // --- the paged tables, from the data block ---
  var matrix = document.getElementById("estate-matrix");
  var table = document.getElementById("finding-table");
  var clusters = data ? data.clusters : [], resources = data ? data.resources : [];
  var byAnchor = {};
  clusters.forEach(function (row, index) { byAnchor[row[1]] = index; });
  var SEVERITY_CELL = {c: "critical", h: "high", m: "medium", l: "low", i: "info"};
  var CELL_STATUS = {p: "pass", e: "error", w: "waived", s: "skipped", n: "none"};
  var CELL_CODE = {p: "✓", c: "C", h: "H", m: "M", l: "L", i: "I", e: "E", w: "W", s: "-", n: ""};
  var CELL_RANK = "chmliewspn";
  function label(list, index) { return index < 0 ? "" : list[index]; }
  // A chosen value's index in a string table; one the table lacks matches no row (-1 is "none", which a
  // resource without a subscription or region has: it must not match a subscription nobody failed in).
  function chosen(list, value) {
    var index = value ? list.indexOf(value) : -2;
    return index < 0 ? -2 : index;
  }
  function parts(name) {
    return name.split("/").filter(function (p) { return p.length >= 3; }).slice(0, 8)
      .sort(function (a, b) { return b.length - a.length; });
  }
  function decode(template, name) {  // auditor/reporters/report_data.py: decode_message
    if (template.charAt(0) === "\u0000") { return template.slice(1); }
    var names = parts(name);
    for (var i = names.length - 1; i >= 0; i -= 1) { template = template.split(String.fromCharCode(i + 1)).join(names[i]); }
    return template;
  }
  function message(row) { return decode(data.messages[row[4]], resources[row[0]][0]); }
  function version(value) {
    return value.split(/[.-]/).map(function (part) { return ("00000" + part).slice(-5); }).join(".");
  }
  var matrixPager = null, tablePager = null;
  if (data && matrix) {
    matrixPager = paged[matrix.id] = Pager({table: matrix, pager: document.getElementById("matrix-pager"),
      items: clusters, size: 100, count: document.getElementById("matrix-count"), noun: "clusters", render: function (row) {
      var tr = make("tr"), th = make("th");
      th.scope = "row";
      th.appendChild(link(row[2] ? "#" + row[1] : fragment({cluster: row[1]}), row[0]));
      tr.appendChild(th);
      [label(data.subscriptions, row[3]), label(data.regions, row[4]), row[5]].forEach(function (value) { tr.appendChild(make("td", value)); });
      tr.appendChild(make("td", number(row[6]), "num"));
      Array.prototype.forEach.call(row[7], function (code, index) {
        var td = make("td", null, "m" + code);
        if (code !== "n") { td.appendChild(link(fragment({cluster: row[1], policy: data.matrixPolicies[index]}), CELL_CODE[code])); }
        tr.appendChild(td);
      });
      return tr;
    }, key: function (row, index) {
      if (index === 0) { return row[0].toLowerCase(); }
      if (index === 1) { return label(data.subscriptions, row[3]).toLowerCase(); }
      if (index === 2) { return label(data.regions, row[4]); }
      if (index === 3) { return version(row[5]); }
      if (index === 4) { return row[6]; }
      return CELL_RANK.indexOf(row[7].charAt(index - 5));
    }});
  }
  if (data && table) {
    var numbers = data.findings.map(function (_, index) { return index; });
    tablePager = paged[table.id] = Pager({table: table, pager: document.getElementById("table-pager"),
      items: numbers, size: 100, count: document.getElementById("table-count"), noun: "findings", render: function (index) {
      var row = data.findings[index], resource = resources[row[0]], tr = make("tr"), th = make("th");
      var status = data.statuses[row[2]], severity = data.severities[row[3]];
      th.scope = "row";
      th.appendChild(resource[5] ? link("#" + resource[5], resource[0]) : document.createTextNode(resource[0]));
      th.appendChild(document.createTextNode(" "));
      th.appendChild(make("span", data.kinds[resource[1]], "kind"));
      tr.appendChild(th);
      tr.appendChild(make("td", label(data.subscriptions, resource[3])));
      tr.appendChild(make("td", label(data.regions, resource[4])));
      tr.appendChild(make("td")).appendChild(make("code", data.policies[row[1]]));
      tr.appendChild(make("td")).appendChild(make("span", severity, "sev sev-" + severity));
      tr.appendChild(make("td")).appendChild(make("span", status, "badge status-" + status));
      tr.appendChild(make("td", message(row)));
      return tr;
    }, key: function (number, column) {
      var row = data.findings[number], resource = resources[row[0]];
      if (column === 6) { return message(row).toLowerCase(); }
      return [resource[0].toLowerCase(), label(data.subscriptions, resource[3]).toLowerCase(),
        label(data.regions, resource[4]), data.policies[row[1]], row[3], row[2]][column];
    }});
  }

  // --- the filters: the detailed list (elements), the matrix and the findings table (data) ---
  var searchable = null;  // per finding row, the lower-case text the search box looks in (built once)
  function searchText(index) {
    if (!searchable) { searchable = new Array(data.findings.length); }
    var text = searchable[index];
    if (text === undefined) {
      var row = data.findings[index], resource = resources[row[0]];
      text = searchable[index] = [resource[0], data.kinds[resource[1]], label(data.subscriptions, resource[3]),
        label(data.regions, resource[4]), data.policies[row[1]], message(row)].join(" ").toLowerCase();
    }
    return text;
  }
  function showCluster() {
    var index = byAnchor[cluster];
    chip.hidden = !cluster;
    document.getElementById("filter-cluster-name").textContent = index === undefined ? cluster + " (not in this report)" : clusters[index][0];
    document.getElementById("filter-cluster-profile").textContent = index === undefined ? "" : clusters[index][8];
  }
  function apply() {
    var status = {}, severity = {};
    ticked("status").forEach(function (value) { status[value] = true; });
    ticked("severity").forEach(function (value) { severity[value] = true; });
    var choice = {};
    selects.forEach(function (select) { choice[select.name] = select.value; });
    var needle = text.value.trim().toLowerCase();
    showCluster();
    filterList(status, severity, choice, needle);
    var shown = 0, total = 0;
    if (tablePager) {
      var subscription = chosen(data.subscriptionKeys, choice.subscription);
      var region = chosen(data.regions, choice.region);
      var policy = chosen(data.policies, choice.policy);
      var home = cluster ? (byAnchor[cluster] === undefined ? -2 : byAnchor[cluster]) : -1;
      shown = tablePager.filter(function (index) {
        var row = data.findings[index], resource = resources[row[0]];
        return status[data.statuses[row[2]]] && severity[data.severities[row[3]]] &&
          (!choice.subscription || resource[3] === subscription) && (!choice.region || resource[4] === region) &&
          (!choice.policy || row[1] === policy) && (!cluster || resource[2] === home) &&
          (!needle || searchText(index).indexOf(needle) !== -1);
      });
      total = data.findings.length;
    }
    count.value = "showing " + number(shown) + " of " + number(total) + " findings";
    if (matrixPager) { filterMatrix(status, severity, choice, needle); }
  }

  function filterList(status, severity, choice, needle) {
    document.querySelectorAll("[data-resource]").forEach(function (resource) {
      var place = (!choice.subscription || resource.dataset.subscription === choice.subscription) &&
        (!choice.region || resource.dataset.region === choice.region) &&
        (!cluster || resource.dataset.cluster === cluster);
      var header = resource.querySelector("h4").textContent + " " + resource.querySelector(".rid").textContent;
      var visible = 0;
      resource.querySelectorAll("[data-status]").forEach(function (item) {
        var finding = item.dataset.severity !== undefined;
        var match = place && status[item.dataset.status] &&
          (!finding || severity[item.dataset.severity]) &&
          (!choice.policy || item.dataset.policy === choice.policy) &&
          (!needle || (header + " " + item.textContent).toLowerCase().indexOf(needle) !== -1);
        item.hidden = !match;
        if (match) { visible += 1; }
      });
      resource.hidden = visible === 0;
    });
    document.querySelectorAll("[data-group]").forEach(function (group) {
      group.hidden = group.querySelector("[data-resource]:not([hidden])") === null;
    });
  }

  // The matrix: a row shows when its place matches and, once the severity or policy filter narrows
  // the view, when it has a matching verdict (a failure at a ticked severity; for a chosen policy, that
  // policy's verdict with a ticked status).
  function filterMatrix(status, severity, choice, needle) {
    var narrowed = data.severities.some(function (name) { return !severity[name]; });
    var subscription = chosen(data.subscriptionKeys, choice.subscription);
    var region = chosen(data.regions, choice.region);
    var column = choice.policy ? data.matrixPolicies.indexOf(choice.policy) : -1;
    function verdict(code) {
      return SEVERITY_CELL[code] ? {status: "fail", severity: SEVERITY_CELL[code]} : {status: CELL_STATUS[code], severity: null};
    }
    matrixPager.filter(function (row) {
      var match = (!choice.subscription || row[3] === subscription) && (!choice.region || row[4] === region) &&
        (!cluster || row[1] === cluster) &&
        (!needle || [row[0], label(data.subscriptions, row[3]), label(data.regions, row[4]), row[5]].join(" ").toLowerCase().indexOf(needle) !== -1);
      if (match && choice.policy) {
        var v = verdict(column < 0 ? "n" : row[7].charAt(column));
        return !!status[v.status] && (v.status !== "fail" || !!severity[v.severity]);
      }
      if (match && narrowed) {
        return Array.prototype.some.call(row[7], function (code) { return !!SEVERITY_CELL[code] && status.fail && severity[SEVERITY_CELL[code]]; });
      }
      return match;
    });
  }

  function save() { history.replaceState(null, "", fragment()); }
  document.getElementById("filter-cluster-clear").addEventListener("click", function () { cluster = ""; apply(); save(); });
  filters.addEventListener("input", function () { apply(); save(); });
  filters.addEventListener("change", function () { apply(); save(); });
  window.addEventListener("hashchange", function () { restore(); apply(); });
  restore();
  apply();
}());
