/* Draws every element carrying data-chart='{"kind":"bar|line|doughnut","labels":[...],
   "series":[{"label":"...","values":[...]}]}' with Chart.js (vendored, served by Comptoir).
   The ui.chart macro writes that JSON and a data table for screen readers and text browsers. */
(function () {
  "use strict";
  var PALETTE = ["#1d4ed8", "#0f766e", "#b45309", "#9d174d", "#6d28d9", "#15803d", "#475569", "#c2410c"];

  function numberFormat() {
    try { return new Intl.NumberFormat(document.documentElement.lang || undefined); }
    catch (e) { return new Intl.NumberFormat(); }
  }

  function config(spec) {
    var kind = ["bar", "line", "doughnut"].indexOf(spec.kind) >= 0 ? spec.kind : "bar";
    var fmt = numberFormat();
    var series = Array.isArray(spec.series) ? spec.series : [];
    var datasets = series.map(function (s, i) {
      var colour = PALETTE[i % PALETTE.length];
      var values = (s.values || []).map(function (v) { return v === null ? null : Number(v); });
      if (kind === "doughnut") {
        return { label: s.label, data: values, borderWidth: 1,
          backgroundColor: values.map(function (_, j) { return PALETTE[j % PALETTE.length]; }) };
      }
      return { label: s.label, data: values, backgroundColor: colour, borderColor: colour,
        borderWidth: kind === "line" ? 2 : 0, tension: 0.25, pointRadius: 3, spanGaps: true };
    });
    var options = {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: {
        legend: { display: kind === "doughnut" || datasets.length > 1, position: "bottom" },
        tooltip: { callbacks: { label: function (ctx) {
          var value = kind === "doughnut" ? ctx.parsed : (ctx.parsed.y !== undefined ? ctx.parsed.y : ctx.parsed);
          var name = kind === "doughnut" ? ctx.label : ctx.dataset.label;
          return (name ? name + " : " : "") + fmt.format(value);
        } } }
      }
    };
    if (kind !== "doughnut") {
      options.scales = { y: { beginAtZero: true, ticks: { callback: function (v) { return fmt.format(v); } } } };
    }
    return { type: kind, data: { labels: spec.labels || [], datasets: datasets }, options: options };
  }

  function draw(root) {
    if (typeof window.Chart === "undefined") return;
    var nodes = (root || document).querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(nodes, function (node) {
      if (node.dataset.chartDrawn) return;
      var spec;
      try { spec = JSON.parse(node.getAttribute("data-chart")); } catch (e) { return; }
      var canvas = node;
      if (node.tagName !== "CANVAS") {
        canvas = document.createElement("canvas");
        canvas.setAttribute("role", "img");
        canvas.setAttribute("aria-label", node.getAttribute("aria-label") || "");
        node.appendChild(canvas);
      }
      node.dataset.chartDrawn = "1";
      new window.Chart(canvas, config(spec));
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { draw(document); });
  } else {
    draw(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
  window.ComptoirCharts = { draw: draw };
})();
