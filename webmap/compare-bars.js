// Side-by-side bars of two reports (issue 26 item 7): per IPCC category its net, then gross emissions, gross
// removals and the net, A's bar over B's, each value its own report's (Chart.js UMD global from npm).

import { COMPARE_A, COMPARE_B } from "./compare-colors.js";
import { missingOf } from "./estimated.js";
import { fmtFlux } from "./format.js";
import { rowHeight, wrapLabel } from "./report.js";

const charts = new WeakMap();

/** The rows of the bars: [label, value of A, value of B]; null where a report did not estimate it. */
export function compareRows(a, b) {
  const cats = [...(a.ipcc_summary ?? []), ...(b.ipcc_summary ?? [])]
    .map((r) => r.category)
    .filter((c, i, all) => c !== "Total" && all.indexOf(c) === i);
  const net = (r, c) => (r.ipcc_summary ?? []).find((x) => x.category === c)?.net_t_co2e_per_yr ?? null;
  const total = (r, key, side) => (missingOf(r.totals)[side] ? null : (r.totals?.[key] ?? null));
  return [
    ...cats.map((c) => [`${c} (net)`, net(a, c), net(b, c)]),
    ["Gross emissions", total(a, "gross_emissions_t_co2e_per_yr", "emissions"), total(b, "gross_emissions_t_co2e_per_yr", "emissions")],
    ["Gross removals", total(a, "gross_removals_t_co2e_per_yr", "removals"), total(b, "gross_removals_t_co2e_per_yr", "removals")],
    ["Net", total(a, "net_t_co2e_per_yr", "net"), total(b, "net_t_co2e_per_yr", "net")],
  ];
}

/** Draw the bars on `canvas`; its box grows with the rows so labels never overlap. */
export function compareBars(canvas, a, b, { nameA = "A", nameB = "B" } = {}) {
  const Chart = window.Chart;
  charts.get(canvas)?.destroy();
  if (!Chart || !canvas) return null;
  const rows = compareRows(a, b);
  const labels = rows.map(([label]) => wrapLabel(label));
  const wrap = canvas.parentElement;
  if (wrap?.classList.contains("chart-wrap")) wrap.style.height = `${rows.length * Math.max(40, rowHeight(labels)) + 80}px`;
  const chart = new Chart(canvas, {
    type: "bar",
    data: {
      labels,
      datasets: [
        { label: nameA, data: rows.map((r) => r[1]), backgroundColor: COMPARE_A },
        { label: nameB, data: rows.map((r) => r[2]), backgroundColor: COMPARE_B },
      ],
    },
    options: {
      indexAxis: "y",
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        x: { title: { display: true, text: "t CO₂e/yr (emissions +, removals −)" }, ticks: { callback: (v) => fmtFlux(v) } },
        y: { ticks: { autoSkip: false, font: { size: 12, lineHeight: 15 / 12 } } },
      },
      plugins: {
        legend: { position: "bottom" },
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? rows[items[0].dataIndex][0] : ""),
            label: (item) => `${item.dataset.label}: ${item.raw === null ? "not estimated" : `${fmtFlux(item.raw)} t CO₂e/yr`}`,
          },
        },
      },
    },
  });
  charts.set(canvas, chart);
  return chart;
}
