/* The site's only script of its own: charts and maps (Plotly, shipped with the site), copy
   buttons, table filters. Pages read without it; it adds what needs a browser. */
// Plotly's geo maps fetch a base map (land, coasts) from Plotly's servers unless one is registered;
// every layer of it is hidden on this site's maps (their shapes are the pinned us-atlas), so an empty
// one is registered before plotly.min.js loads, and nothing is fetched.
window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};
["usa_110m", "usa_50m", "world_110m", "world_50m"].forEach(function (name) {
  window.PlotlyGeoAssets.topojson[name] = {type: "Topology", objects: {}, arcs: []};
});
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var b = e.target.closest("button.copy");
    if (!b) return;
    var text = b.getAttribute("data-copy");
    var done = function () { b.textContent = "copied"; setTimeout(function () { b.textContent = "copy"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { window.prompt("sha256", text); });
    } else { window.prompt("sha256", text); }
  });

  // <script type="application/json" data-figure="ID"> holds a Plotly figure for the element #ID;
  // a trace's "geojson" names a shape set of window.SITE_GEO (assets/geo.js), loaded once per page.
  function draw(holder) {
    if (!window.Plotly) return;
    var id = holder.getAttribute("data-figure");
    var el = document.getElementById(id);
    if (!el || el.getAttribute("data-drawn")) return;
    var fig = JSON.parse(holder.textContent);
    (fig.data || []).forEach(function (t) {
      if (typeof t.geojson === "string" && window.SITE_GEO) t.geojson = window.SITE_GEO[t.geojson];
    });
    var config = Object.assign({responsive: true, displaylogo: false, modeBarButtonsToRemove: ["toImage", "select2d", "lasso2d"]}, fig.config || {});
    Plotly.newPlot(el, fig.data, fig.layout, config).then(function () {
      if (fig.frames) Plotly.addFrames(el, fig.frames);
    });
    el.setAttribute("data-drawn", "1");
  }
  window.siteDraw = draw;
  // <div data-chart="ID">: a claim's chart, whose spec assets/charts/ID.js put in window.SITE_CHARTS
  window.siteDrawCharts = function () {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var made = (window.SITE_CHARTS || {})[el.getAttribute("data-chart")];
      if (!made || !window.Plotly) return;
      var caption = document.getElementById(el.id + "-caption");
      if (caption) caption.textContent = made.alt;
      el.setAttribute("aria-label", made.alt);
      Plotly.newPlot(el, made.spec.data, made.spec.layout, Object.assign({}, made.spec.config, {displaylogo: false}));
    });
  };
  document.querySelectorAll("script[data-figure]").forEach(function (h) {
    if (!h.hasAttribute("data-lazy")) draw(h);
  });

  // <select data-filter="COLUMN" data-table="ID">: show the rows whose data-COLUMN matches.
  var selects = document.querySelectorAll("select[data-filter]");
  function apply(tableId) {
    var rows = document.querySelectorAll("#" + tableId + " tbody tr");
    var active = Array.prototype.filter.call(selects, function (s) { return s.getAttribute("data-table") === tableId && s.value; });
    var shown = 0;
    rows.forEach(function (r) {
      var ok = active.every(function (s) { return r.getAttribute("data-" + s.getAttribute("data-filter")) === s.value; });
      r.classList.toggle("hidden", !ok);
      if (ok) shown++;
    });
    var out = document.querySelector("[data-count='" + tableId + "']");
    if (out) out.textContent = shown.toLocaleString("en-US");
  }
  selects.forEach(function (s) {
    s.addEventListener("change", function () { apply(s.getAttribute("data-table")); });
  });
})();
