/* Glue between the pages and the vendored libraries: each <canvas data-chart> is drawn by Chart.js from
   the JSON beside it; each <table data-datatable> gets sorting, search and paging from simple-datatables,
   and the filter menus above it (exact match on one column). The tables are plain HTML first, so the
   numbers are there for screen readers, for copying and without JavaScript. */
(function () {
  "use strict";
  var COLOURS = ["#154273", "#e17000", "#39870c", "#a90061", "#007bc7", "#673327", "#8fcae7"];
  var LABELS = {
    placeholder: "Zoeken…", searchTitle: "Zoek in de tabel", searchLabel: "Zoeken",
    perPage: "rijen per pagina", pageTitle: "Pagina {page}", noRows: "Geen rijen",
    noResults: "Geen rijen die hieraan voldoen", info: "Rij {start} tot en met {end} van {rows}",
    sortHint: "Activeer om te sorteren"
  };
  var sortHintWritten = false;

  // a time axis as the page gives it: day numbers, a tick labelled as the page says on each day it
  // names (Chart.js's own time scale needs a date adapter, which is not vendored)
  function timeAxis(x) {
    var names = {};
    x.ticks.forEach(function (t) { names[t[0]] = t[1]; });
    return {
      type: "linear", min: x.min, max: x.max, title: { display: true, text: x.title },
      afterBuildTicks: function (scale) { scale.ticks = x.ticks.map(function (t) { return { value: t[0] }; }); },
      ticks: { callback: function (v) { return names[v]; } }
    };
  }

  function drawCharts() {
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var spec = JSON.parse(document.getElementById(canvas.dataset.chart).textContent);
      spec.datasets.forEach(function (d, i) {
        // a dataset may bring its own colours (Vergelijking: this SWV's bar highlighted)
        d.borderColor = d.borderColor || COLOURS[i % COLOURS.length];
        d.backgroundColor = d.backgroundColor || COLOURS[i % COLOURS.length];
        if (spec.type === "line") { d.fill = false; d.tension = 0; }
      });
      var scales = { y: { beginAtZero: true, ticks: { precision: 0 } } };
      var tooltip = {};
      if (spec.x) {  // a time axis (1a): the tooltip names the version or confirmation, not the day number
        scales.x = timeAxis(spec.x);
        tooltip = { callbacks: { title: function (items) { return items.length ? items[0].raw.t : ""; } } };
      }
      new Chart(canvas, {
        type: spec.type,
        data: { labels: spec.labels, datasets: spec.datasets },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false, locale: "nl-NL",
          scales: scales,
          plugins: { legend: { display: spec.datasets.length > 1, labels: { usePointStyle: !!spec.x } }, tooltip: tooltip }
        }
      });
      canvas.dataset.drawn = "true";
    });
  }

  // simple-datatables refers every sortable header to one #sort-hint: write it once per page
  function layout(options, dom) {
    var hint = "";
    if (options.sortable && !sortHintWritten) { hint = "<p hidden id='sort-hint'>" + options.labels.sortHint + "</p>"; sortHintWritten = true; }
    return "<div class='" + options.classes.top + "'>" +
      (options.paging ? "<div class='" + options.classes.dropdown + "'><label><select class='" + options.classes.selector + "' name='per-page'></select> " + options.labels.perPage + "</label></div>" : "") +
      "<div class='" + options.classes.search + "'><label class='" + options.classes.searchLabel + "'>" + options.labels.searchLabel +
      " <input class='" + options.classes.input + "' placeholder='" + options.labels.placeholder + "' type='search' name='search' title='" + options.labels.searchTitle + "' aria-controls='" + dom.id + "'></label></div>" +
      "</div><div class='" + options.classes.container + "'>" + hint + "</div>" +
      "<div class='" + options.classes.bottom + "'><div class='" + options.classes.info + "'></div><nav class='" + options.classes.pagination + "' aria-label='Pagina’s van " + dom.id + "'></nav></div>";
  }

  function exactOnFilter(terms, cell, row, column, source) {
    var text = (cell.text !== undefined ? cell.text : String(cell.data)).trim().toLowerCase()
      .normalize("NFD").replace(/\p{Diacritic}/gu, "");
    return source !== "filter" ? terms.some(function (t) { return text.indexOf(t) !== -1; })
                               : terms.some(function (t) { return text === t; });
  }

  function enhanceTables() {
    document.querySelectorAll("table[data-datatable]").forEach(function (table) {
      var rows = table.tBodies[0] ? table.tBodies[0].rows.length : 0;
      var dt = new simpleDatatables.DataTable(table, {
        labels: LABELS, locale: "nl", perPage: 25, perPageSelect: [25, 50, 100, ["alle", -1]],
        searchMethod: exactOnFilter, ignorePunctuation: false, template: layout, paging: rows > 25
      });
      // a wide table scrolls inside its own region, which the keyboard can reach
      var box = table.closest("." + "datatable-container");
      if (box) { box.tabIndex = 0; box.setAttribute("role", "region"); box.setAttribute("aria-label", table.caption ? table.caption.textContent : table.id); }
      // columns shown on demand: hidden at first as the page says, a chooser above the table
      var hidden = (table.dataset.hidden || "").split(",").filter(Boolean).map(function (i) { return parseInt(i, 10); });
      if (hidden.length) { dt.columns.hide(hidden); }
      var chooser = document.querySelector("[data-columns-for='" + table.id + "']");
      if (chooser) {
        chooser.addEventListener("change", function (e) {
          var i = parseInt(e.target.value, 10);
          if (e.target.checked) { dt.columns.show([i]); } else { dt.columns.hide([i]); }
        });
      }
      var menus = document.querySelector("[data-filters-for='" + table.id + "']");
      if (!menus) { return; }
      menus.addEventListener("change", function () {
        var queries = [];
        menus.querySelectorAll("select").forEach(function (s) {
          if (s.value) { queries.push({ terms: [s.value.toLowerCase()], columns: [parseInt(s.dataset.column, 10)] }); }
        });
        dt.multiSearch(queries, "filter");
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (window.Chart) { drawCharts(); }
    if (window.simpleDatatables) { enhanceTables(); }
  });
})();
