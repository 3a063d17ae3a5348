// The trend chart (issue 14): net flux by IPCC category in every period the region offers (LEARN's periods between
// adjacent land-cover years), stacked bars per category with the total net as a line with markers and its 90 %
// interval as whiskers where the reports carry one; a table of the same numbers in a <details>. Numbers from
// GET /api/regions/{region}/trend (each period's own report); per hectare divides by each period's area.

import { api } from "./api.js";
import { missingOf } from "./estimated.js";
import { esc, fmtFlux, fmtFluxHa, numCell } from "./format.js";

export const CATEGORY_COLORS = {
  "Forest remaining forest": "#1b7837",
  "Forest to non-forest": "#b2182b",
  "Non-forest to forest": "#a6dba0",
  "Trees outside forests": "#35978f",
};
const NET_COLOR = "#1d2a2f";

const cache = new Map(); // "region|boundary" → Promise of the trend: one request per jurisdiction
const charts = new WeakMap();

function trendOf(region, boundary) {
  const key = `${region}|${boundary}`;
  if (!cache.has(key)) {
    const p = api.trend(region, boundary);
    p.catch(() => cache.delete(key)); // a failure is not remembered: the next selection asks again
    cache.set(key, p);
  }
  return cache.get(key);
}

const perHaOf = (perHa) => (perHa ? { unit: "t CO₂e/ha/yr", fmt: fmtFluxHa } : { unit: "t CO₂e/yr", fmt: fmtFlux });

/** Whiskers from p05 to p95 over each marker of the net line (Chart.js has no error bars of its own). */
const whiskers = {
  id: "learnWhiskers",
  afterDatasetsDraw(chart) {
    const ds = chart.data.datasets.find((d) => d.intervals);
    if (!ds) return;
    const meta = chart.getDatasetMeta(chart.data.datasets.indexOf(ds));
    const y = chart.scales.y;
    const { ctx } = chart;
    ctx.save();
    ctx.strokeStyle = NET_COLOR;
    ctx.lineWidth = 1.5;
    ds.intervals.forEach((iv, i) => {
      const point = meta.data[i];
      if (!iv || !point) return;
      const [top, bottom] = [y.getPixelForValue(iv[1]), y.getPixelForValue(iv[0])];
      ctx.beginPath();
      ctx.moveTo(point.x, top);
      ctx.lineTo(point.x, bottom);
      for (const v of [top, bottom]) {
        ctx.moveTo(point.x - 5, v);
        ctx.lineTo(point.x + 5, v);
      }
      ctx.stroke();
    });
    ctx.restore();
  },
};

/** The trend's numbers as shown: per period, each category's net and the total with its interval. */
export function trendSeries(trend, perHa) {
  const periods = trend.periods;
  const div = (v, p) => (v === null || v === undefined ? null : perHa ? (p.area_ha ? v / p.area_ha : null) : v);
  const cats = trend.categories.map((category) => ({
    category,
    values: periods.map((p) => {
      const row = trend.rows.find((r) => r.start === p.start && r.end === p.end && r.category === category);
      return div(row?.net_t_co2e_per_yr, p);
    }),
  }));
  // a period nothing of which was estimated has no net (a gap, "—"), never 0 (issue 26 item 8)
  const net = periods.map((p) => (missingOf(p).net ? null : div(p.net_t_co2e_per_yr, p)));
  const intervals = periods.map((p) =>
    p.net_p05_t_co2e_per_yr === null || p.net_p05_t_co2e_per_yr === undefined
      ? null
      : [div(p.net_p05_t_co2e_per_yr, p), div(p.net_p95_t_co2e_per_yr, p)],
  );
  return { cats, net, intervals };
}

function table(trend, series, scale) {
  const head = trend.categories.map((c) => `<th scope="col">${esc(c)}</th>`).join("");
  const hasInterval = series.intervals.some(Boolean);
  const body = trend.periods
    .map((p, i) => {
      const iv = series.intervals[i];
      return `<tr data-start="${esc(p.start)}" data-end="${esc(p.end)}"><th scope="row">${esc(p.start)}–${esc(p.end)}${p.complete ? "" : " (partial)"}</th>
        ${series.cats.map((c) => numCell(c.values[i], scale.fmt)).join("")}${numCell(series.net[i], scale.fmt)}
        ${hasInterval ? `<td class="num">${iv ? `${esc(scale.fmt(iv[0]))} to ${esc(scale.fmt(iv[1]))}` : "—"}</td>` : ""}</tr>`;
    })
    .join("");
  return `<div class="scroll-x"><table class="data trend-table" aria-label="Net flux by category and period">
    <caption>Net flux by category and period (${esc(scale.unit)}; − = net removal)</caption>
    <thead><tr><th scope="col">Period</th>${head}<th scope="col">Net</th>${hasInterval ? '<th scope="col">90 % interval</th>' : ""}</tr></thead>
    <tbody>${body}</tbody></table></div>`;
}

function draw(canvas, trend, series, scale) {
  const Chart = window.Chart;
  charts.get(canvas)?.destroy();
  if (!Chart) return;
  const labels = trend.periods.map((p) => [`${p.start}–`, `${p.end}`]); // two lines: 8 periods fit a phone
  const chart = new Chart(canvas, {
    data: {
      labels,
      datasets: [
        ...series.cats.map((c) => ({
          type: "bar",
          label: c.category,
          data: c.values,
          backgroundColor: CATEGORY_COLORS[c.category] ?? "#bababa",
          stack: "net",
          order: 2,
        })),
        {
          type: "line",
          label: "Net (total)",
          data: series.net,
          intervals: series.intervals.some(Boolean) ? series.intervals : null,
          borderColor: NET_COLOR,
          backgroundColor: NET_COLOR,
          pointRadius: 4,
          pointStyle: "rectRot",
          stack: "total", // its own stack: the line is the sum, not stacked on the bars
          order: 1,
        },
      ],
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        // every period labelled, upright; smaller on a phone so that "2001–" / "2004" labels do not touch
        x: { stacked: true, ticks: { autoSkip: false, maxRotation: 0, font: (c) => ({ size: c.chart.width < 480 ? 9.5 : 12 }) } },
        y: { stacked: true, title: { display: true, text: `${scale.unit} (− = net removal)` }, ticks: { callback: (v) => scale.fmt(v) } },
      },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? `${trend.periods[items[0].dataIndex].start}–${trend.periods[items[0].dataIndex].end}` : ""),
            label: (item) => `${item.dataset.label}: ${scale.fmt(item.raw)} ${scale.unit}`,
          },
        },
      },
    },
    plugins: [whiskers],
  });
  charts.set(canvas, chart);
}

/** Render `trend` into `box` (a .trend-box section of the report). `period`: the report's {start, end}. */
export function renderTrend(box, trend, { perHa = false, period } = {}) {
  const scale = perHaOf(perHa);
  const series = trendSeries(trend, perHa);
  const n = trend.periods.length;
  const span = trend.periods.length ? `${trend.periods[0].start}–${trend.periods[n - 1].end}` : "";
  const inside = period ? trend.periods.filter((p) => p.start >= period.start && p.end <= period.end) : [];
  const within = inside.length
    ? ` The report above (${esc(period.start)}–${esc(period.end)}) spans ${inside.map((p) => `${p.start}–${p.end}`).join(", ")}.`
    : "";
  const older = trend.periods_left_out?.length ? ` Older periods not shown: ${trend.periods_left_out.map((p) => p.join("–")).join(", ")}.` : "";
  const interval = series.intervals.some(Boolean) ? " Whiskers: the net's 90 % interval." : "";
  const partial = trend.periods.some((p) => !p.complete) ? " In the table, “(partial)” marks a period whose totals leave rows out." : "";
  box.hidden = false;
  box.dataset.state = "ready";
  box.dataset.boundary = trend.boundary_id;
  box.dataset.periods = String(n);
  box.innerHTML = `<h3>Trend: net flux by category, ${esc(span)}</h3>
    <p class="trend-note muted">Periods: LEARN's inventory periods, each between two adjacent land-cover years
      (${n} periods, not overlapping). Bars: each category's net; line: the total net. Negative = net removal
      (a sink).${interval}${within}${older}${partial}</p>
    <div class="chart-wrap trend-wrap"><canvas role="img" aria-label="${esc(`Bar chart of net flux by category in ${n} periods, ${span}, with the total net as a line; the numbers are in the table below`)}"></canvas></div>
    <details class="trend-numbers"><summary>Trend numbers (table)</summary>${table(trend, series, scale)}</details>`;
  draw(box.querySelector("canvas"), trend, series, scale);
}

/** Fetch (once per jurisdiction) and show the trend of `boundary` in `el`'s .trend-box, unless `el` has moved on
 * to another jurisdiction meanwhile. */
export async function showTrend(el, { region, boundary, perHa, period }) {
  const box = el.querySelector(".trend-box");
  if (!box) return;
  box.hidden = false;
  box.dataset.state = "loading";
  box.dataset.boundary = boundary;
  box.innerHTML = `<h3>Trend across periods</h3><p class="muted"><span class="spinner" aria-hidden="true"></span> Computing every period…</p>`;
  try {
    const trend = await trendOf(region, boundary);
    if (el.querySelector(".trend-box") !== box) return; // the panel shows another report now
    renderTrend(box, trend, { perHa, period });
  } catch (err) {
    if (el.querySelector(".trend-box") !== box) return;
    box.dataset.state = "failed";
    box.innerHTML = `<h3>Trend across periods</h3><p class="placeholder failed">The trend could not be computed: ${esc(err.message)}</p>`;
  }
}
