// Usage graphs on a capsul's detail page (templates/capsul.html): uPlot charts of the series at
// /capsuls/<id>/usage?range=…, and the newest point from live.js's websocket ("capsul:usage"
// events, sent only while the page is visible). Without this script the page shows the figures as text.
(function () {
  "use strict";
  const box = document.getElementById("usage-charts");
  if (!box || !window.uPlot) return;
  const vmId = document.getElementById("usage").dataset.capsul;
  const HOUR = 3600;
  const CHARTS = [
    { title: "CPU, % of its vCPUs", series: [["cpu_percent", "CPU", "#2a6f97"]], unit: "%" },
    { title: "Memory in use", series: [["memory_bytes", "memory", "#6a4c93"]], unit: "B" },
    { title: "Disk", series: [["disk_read_bytes_per_s", "read", "#2a9d8f"], ["disk_write_bytes_per_s", "write", "#e76f51"]], unit: "B/s" },
    { title: "Network", series: [["net_rx_bytes_per_s", "in", "#2a9d8f"], ["net_tx_bytes_per_s", "out", "#e76f51"]], unit: "B/s" },
  ];
  let range = "1h";
  let data = null;
  let charts = [];

  function human(value, unit) {
    if (value === null || value === undefined) return "—";
    if (unit === "%") return value.toFixed(1) + " %";
    const units = ["", "k", "M", "G", "T"];
    let i = 0;
    while (Math.abs(value) >= 1000 && i < units.length - 1) { value /= 1000; i++; }
    return (i ? value.toFixed(1) : value.toFixed(0)) + " " + units[i] + unit;
  }

  function draw() {
    charts.forEach(function (chart) { chart.destroy(); });
    box.replaceChildren();
    const width = Math.min(box.clientWidth || 640, 720);
    charts = CHARTS.map(function (spec) {
      const figure = document.createElement("figure");
      box.appendChild(figure);
      const options = {
        title: spec.title, width: width, height: 160,
        series: [{}].concat(spec.series.map(function (s) {
          return { label: s[1], stroke: s[2], width: 1.5, value: function (u, v) { return human(v, spec.unit); } };
        })),
        axes: [{}, { size: 70, values: function (u, ticks) { return ticks.map(function (v) { return human(v, spec.unit); }); } }],
        scales: spec.unit === "%" ? { y: { range: [0, 100] } } : {},
      };
      return new window.uPlot(options, [data.t].concat(spec.series.map(function (s) { return data[s[0]]; })), figure);
    });
    box.dataset.points = String(data.t.length);
  }

  function load() {
    fetch("/capsuls/" + vmId + "/usage?range=" + range, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (graph) { if (graph) { data = graph.series; draw(); } })
      .catch(function () {});
  }

  function showText(point) {
    const set = function (name, text) {
      const el = document.querySelector('[data-usage="' + name + '"]');
      if (el) el.textContent = text;
    };
    set("cpu_percent", human(point.cpu_percent, "%"));
    set("memory_bytes", human(point.memory_bytes, "B"));
    set("disk", human(point.disk_read_bytes_per_s, "B/s") + " / " + human(point.disk_write_bytes_per_s, "B/s"));
    set("net", human(point.net_rx_bytes_per_s, "B/s") + " / " + human(point.net_tx_bytes_per_s, "B/s"));
    const empty = document.getElementById("usage-empty");
    if (empty) empty.hidden = true;
  }

  document.addEventListener("capsul:usage", function (event) {
    if (event.detail.capsul !== vmId) return;
    const point = event.detail.point;
    showText(point);
    if (range !== "1h" || !data || (data.t.length && point.t <= data.t[data.t.length - 1])) return;
    Object.keys(data).forEach(function (name) { data[name].push(name === "t" ? point.t : point[name]); });
    while (data.t.length && data.t[0] < point.t - HOUR) Object.keys(data).forEach(function (name) { data[name].shift(); });
    charts.forEach(function (chart, i) {
      chart.setData([data.t].concat(CHARTS[i].series.map(function (s) { return data[s[0]]; })));
    });
    box.dataset.points = String(data.t.length);
  });

  document.querySelectorAll("[data-range]").forEach(function (button) {
    button.addEventListener("click", function () {
      range = button.dataset.range;
      document.querySelectorAll("[data-range]").forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
      load();
    });
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) load(); });  // fill the gap
  load();
})();
