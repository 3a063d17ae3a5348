// The Plan tab's chart (issue 24): net flux per year of business as usual and of the scenario, each a line with its
// 90 % interval as a shaded band (Chart.js' filler between the 95th and the 5th percentile lines). Chart.js is the
// UMD global the trend chart uses too (webmap/package.json).

import { fmtFlux } from "./format.js";

export const COLORS = {
  bau: { line: "#5b6b70", band: "rgba(91, 107, 112, 0.18)" },
  scenario: { line: "#1b7837", band: "rgba(27, 120, 55, 0.22)" },
};
const UNIT = "t CO₂e/yr";
const charts = new WeakMap();

/** The datasets of one scenario: the band's upper edge (filled down to the next dataset), its lower edge, the
 * line. `role` and `scenario` name them for the legend, the tooltips and the tests. */
function scenarioDatasets(s, colors, label) {
  const edge = (role, key, fill) => ({
    type: "line",
    role,
    scenario: s.name,
    label: `${label}: 90 % interval`,
    data: s.series.map((r) => r[key]),
    borderWidth: 0,
    pointRadius: 0,
    pointHitRadius: 0,
    backgroundColor: colors.band,
    fill,
    order: 2,
  });
  return [
    edge("band-high", "net_p95_t_co2e_per_yr", "+1"),
    edge("band-low", "net_p05_t_co2e_per_yr", false),
    {
      type: "line",
      role: "net",
      scenario: s.name,
      label,
      data: s.series.map((r) => r.net_t_co2e_per_yr),
      intervals: s.series.map((r) => [r.net_p05_t_co2e_per_yr, r.net_p95_t_co2e_per_yr]),
      borderColor: colors.line,
      backgroundColor: colors.line,
      borderWidth: 2,
      borderDash: colors === COLORS.bau ? [6, 4] : [],
      pointRadius: 0,
      pointHoverRadius: 4,
      fill: false,
      order: 1,
    },
  ];
}

/** Draw BAU (`pathways.scenarios[0]`) and the scenario (`[1]`) on `canvas`, replacing its chart. */
export function drawPlanChart(canvas, pathways) {
  const Chart = window.Chart;
  charts.get(canvas)?.destroy();
  if (!Chart) return null;
  const [bau, scenario] = pathways.scenarios;
  const datasets = [...scenarioDatasets(bau, COLORS.bau, "Business as usual")];
  if (scenario) datasets.push(...scenarioDatasets(scenario, COLORS.scenario, "With these measures"));
  const chart = new Chart(canvas, {
    type: "line",
    data: { labels: bau.series.map((r) => String(r.year)), datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { ticks: { maxRotation: 0, autoSkipPadding: 8 } },
        y: { title: { display: true, text: `${UNIT} (− = net removal)` }, ticks: { callback: (v) => fmtFlux(v) } },
      },
      plugins: {
        legend: {
          position: "bottom",
          // one entry per pathway (its line); a click hides or shows the line with its band
          labels: { boxWidth: 14, filter: (item, data) => data.datasets[item.datasetIndex].role === "net" },
          onClick: (e, item, legend) => {
            const ch = legend.chart;
            const name = ch.data.datasets[item.datasetIndex].scenario;
            const visible = ch.isDatasetVisible(item.datasetIndex);
            ch.data.datasets.forEach((d, i) => d.scenario === name && ch.setDatasetVisibility(i, !visible));
            ch.update();
          },
        },
        tooltip: {
          filter: (item) => item.dataset.role === "net",
          callbacks: {
            label: (item) => {
              const [lo, hi] = item.dataset.intervals[item.dataIndex];
              return `${item.dataset.label}: ${fmtFlux(item.raw)} ${UNIT} (90 %: ${fmtFlux(lo)} to ${fmtFlux(hi)})`;
            },
          },
        },
      },
    },
  });
  charts.set(canvas, chart);
  return chart;
}
