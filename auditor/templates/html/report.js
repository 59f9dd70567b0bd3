// Optional filtering by status and text. Without JS every finding is shown and the controls stay hidden.
(function () {
  "use strict";
  var filters = document.getElementById("filters");
  if (!filters) { return; }
  filters.hidden = false;
  var boxes = filters.querySelectorAll("input[name=status]");
  var text = document.getElementById("filter-text");
  function apply() {
    var wanted = {};
    boxes.forEach(function (box) { wanted[box.value] = box.checked; });
    var needle = text.value.trim().toLowerCase();
    document.querySelectorAll("[data-resource]").forEach(function (resource) {
      var header = resource.querySelector("h4").textContent + " " + resource.querySelector(".rid").textContent;
      var shown = 0;
      resource.querySelectorAll("[data-status]").forEach(function (item) {
        var match = wanted[item.dataset.status] &&
          (!needle || (header + " " + item.textContent).toLowerCase().indexOf(needle) !== -1);
        item.hidden = !match;
        if (match) { shown += 1; }
      });
      resource.hidden = shown === 0;
    });
    document.querySelectorAll("[data-group]").forEach(function (group) {
      group.hidden = group.querySelector("[data-resource]:not([hidden])") === null;
    });
  }
  filters.addEventListener("input", apply);
  apply();
}());
