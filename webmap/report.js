// Renders one inventory report (the API's report JSON) as HTML: headline cards (and a note when the totals are
// partial), the shares of gross emissions and removals (shares.js), the GHG inventory table (the method's row
// names; Harvest/Other followed by its severity classes), a bar chart, the IPCC summary, a place for the trend
// across periods (trend.js fills it), the land-use change matrix, tree canopy, warnings, provenance.
// Shared by the map's side panel (app.js) and the printable page (report-page.js).

import { missingOf, NOT_ESTIMATED } from "./estimated.js";
import { infoButton, plainSentence } from "./explain.js";
import { esc, fmtArea, fmtFlux, fmtFluxHa, fmtPct, numCell } from "./format.js";
import { sharesBlock } from "./shares.js";

/** NLCD class names (legend of the National Land Cover Database) and LEARN's roll-up to IPCC categories. */
export const NLCD = {
  11: ["Open Water", "Wetland"],
  12: ["Perennial Ice/Snow", "Other Land"],
  21: ["Developed, Open Space", "Settlement"],
  22: ["Developed, Low Intensity", "Settlement"],
  23: ["Developed, Medium Intensity", "Settlement"],
  24: ["Developed, High Intensity", "Settlement"],
  31: ["Barren Land", "Other Land"],
  41: ["Deciduous Forest", "Forestland"],
  42: ["Evergreen Forest", "Forestland"],
  43: ["Mixed Forest", "Forestland"],
  51: ["Dwarf Scrub", null],
  52: ["Shrub/Scrub", "Grassland"],
  71: ["Grassland/Herbaceous", "Grassland"],
  72: ["Sedge/Herbaceous", null],
  73: ["Lichens", null],
  74: ["Moss", null],
  81: ["Pasture/Hay", "Grassland"],
  82: ["Cultivated Crops", "Cropland"],
  90: ["Woody Wetlands", "Forestland"],
  95: ["Emergent Herbaceous Wetlands", "Wetland"],
};
const IPCC_ORDER = ["Forestland", "Cropland", "Grassland", "Settlement", "Wetland", "Other Land"];

const charts = new WeakMap();

export const COLORS = { emissions: "#b2182b", removals: "#1b7837", adjustment: "#8073ac" };

/** Flux values as shown: t CO2e/yr, or per hectare of the whole area (`perHa`: the area in ha) — rows then add
 * up to the per-hectare total (audit D10). */
function scaleOf(perHaArea) {
  if (!perHaArea) return { value: (v) => v, fmt: fmtFlux, unit: "t CO<sub>2</sub>e/yr" };
  return {
    value: (v) => (v === null || v === undefined ? v : v / perHaArea),
    fmt: fmtFluxHa,
    unit: "t CO<sub>2</sub>e/ha/yr",
  };
}

/** A card's value: the number, or "not estimated" (grey) when nothing of it was estimated (issue 26 item 8). */
function cardValue(value, missing, scale) {
  if (missing) return `<div class="card-value not-estimated" data-value="">${NOT_ESTIMATED}</div>`;
  return `<div class="card-value" data-value="${esc(scale.value(value) ?? "")}">${esc(scale.fmt(scale.value(value)))}</div>`;
}

function cards(totals, scale) {
  const t = totals || {};
  const missing = missingOf(t);
  const card = (metric, label, value, hint) => `
    <div class="card card-${metric}" data-metric="${metric}">
      <div class="card-label">${label}</div>
      ${cardValue(value, missing[metric], scale)}
      <div class="card-unit">${hint}</div>
    </div>`;
  const lo = scale.value(t.net_p05_t_co2e_per_yr);
  const hi = scale.value(t.net_p95_t_co2e_per_yr);
  // The 90 % interval from the factors' standard errors (totals.uncertainty), when the factor table has them.
  const interval =
    lo === null || lo === undefined || missing.net
      ? ""
      : `<div class="card-interval" data-p05="${esc(lo)}" data-p95="${esc(hi)}"
          title="${esc(t.uncertainty?.method ?? "")}">90 %: ${esc(scale.fmt(lo))} to ${esc(scale.fmt(hi))}</div>`;
  return `<div class="cards" role="group" aria-label="Headline totals">
    ${card("emissions", "Gross emissions", t.gross_emissions_t_co2e_per_yr, scale.unit)}
    ${card("removals", "Gross removals", t.gross_removals_t_co2e_per_yr, scale.unit)}
    ${card("net", "Net flux", t.net_t_co2e_per_yr, `${scale.unit} (− = sink)${interval}`)}
  </div>`;
}

/** The "partial total" note under the cards: the rows the totals leave out (none when the totals are complete). */
function partialNote(totals) {
  if (!totals || totals.complete !== false) return "";
  const rows = totals.not_estimated || [];
  return `<p class="partial-note" role="note" data-not-estimated="${esc(rows.length)}">
    <strong>Partial total</strong> — not estimated: ${esc(rows.join("; "))}.
    <span class="partial-why">Left out of the totals above (a layer or factor table is missing; see warnings).</span></p>`;
}

/** A severity class of Harvest/Other, named as the Python reports name it (learn/report/labels.py). */
export const severityLabel = (s) => `of which severity ${s.severity} (${s.canopy_loss_points} points canopy loss)`;

function inventoryTable(rows, severity, scale, totals) {
  const cell = (v) => numCell(scale.value(v), scale.fmt);
  // The Total row of a side nothing of which was estimated: "not estimated", not 0 (issue 26 item 8).
  const missing = missingOf(totals);
  const totalCell = (v, side) => (missing[side] ? `<td class="num missing not-estimated">${NOT_ESTIMATED}</td>` : cell(v));
  // LEARN's layout: a header row per category, then its rows; the Total row last. Harvest/Other is followed by
  // its severity classes ("of which" rows, class "breakdown"): part of that row, never added to a total.
  let body = "";
  let category = null;
  for (const r of rows || []) {
    const total = r.category === "Total";
    if (!total && r.category !== category) {
      body += `<tr class="group"><th scope="colgroup" colspan="5">${esc(r.category)} ${infoButton(r.category)}</th></tr>`;
    }
    category = r.category;
    body += `<tr class="${total ? "total" : ""}"><th scope="row">${esc(total ? "Total" : r.type)}</th>
      ${numCell(r.area_ha, fmtArea)}${total ? totalCell(r.emissions_t_co2e_per_yr, "emissions") : cell(r.emissions_t_co2e_per_yr)}
      ${total ? totalCell(r.removals_t_co2e_per_yr, "removals") : cell(r.removals_t_co2e_per_yr)}${
        total ? totalCell(r.net_t_co2e_per_yr, "net") : cell(r.net_t_co2e_per_yr)}</tr>`;
    if (r.category === "Forest Remaining Forest" && r.type === "Harvest/Other") {
      for (const s of severity || []) {
        body += `<tr class="breakdown" data-severity="${esc(s.severity)}"><th scope="row">${esc(severityLabel(s))}</th>
          ${numCell(s.area_ha, fmtArea)}${cell(s.emissions_t_co2e_per_yr)}<td></td><td></td></tr>`;
      }
    }
  }
  return `<table class="data inventory" aria-label="GHG inventory">
    <caption>GHG inventory (${scale.unit}; emissions +, removals −)</caption>
    <thead><tr><th scope="col">Category / type</th><th scope="col">Area (ha)</th>
      <th scope="col">Emissions</th><th scope="col">Removals</th><th scope="col">Net</th></tr></thead>
    <tbody>${body}</tbody></table>`;
}

function ipccTable(rows, scale, totals) {
  if (!rows || !rows.length) return "";
  const netMissing = missingOf(totals).net;
  const body = rows
    .map(
      (r) => `<tr class="${r.category === "Total" ? "total" : ""}"><th scope="row">${esc(r.category)} ${r.category === "Total" ? "" : infoButton(r.category)}</th>
        ${r.category === "Total" && netMissing ? `<td class="num missing not-estimated">${NOT_ESTIMATED}</td>` : numCell(scale.value(r.net_t_co2e_per_yr), scale.fmt)}</tr>`,
    )
    .join("");
  return `<table class="data ipcc" aria-label="IPCC summary">
    <caption>IPCC summary</caption>
    <thead><tr><th scope="col">Category</th><th scope="col">Net (${scale.unit})</th></tr></thead>
    <tbody>${body}</tbody></table>`;
}

/** Roll the NLCD change matrix up to IPCC land-use categories. */
export function rollUpMatrix(matrix) {
  const index = new Map(IPCC_ORDER.map((c, i) => [c, i]));
  const n = IPCC_ORDER.length;
  const out = Array.from({ length: n }, () => new Array(n).fill(0));
  matrix.classes.forEach((from, i) => {
    const a = index.get(NLCD[from]?.[1]);
    if (a === undefined) return;
    matrix.classes.forEach((to, j) => {
      const b = index.get(NLCD[to]?.[1]);
      if (b !== undefined) out[a][b] += matrix.hectares[i][j] || 0;
    });
  });
  return { classes: IPCC_ORDER, labels: IPCC_ORDER, hectares: out };
}

function matrixTable(matrix, period, detailed) {
  if (!matrix || !matrix.classes || !matrix.classes.length) {
    return '<p class="muted">No land-use change matrix in this report.</p>';
  }
  const m = detailed
    ? { ...matrix, labels: matrix.classes.map((c) => `${c} ${NLCD[c]?.[0] ?? ""}`.trim()) }
    : rollUpMatrix(matrix);
  const rowTotals = m.hectares.map((r) => r.reduce((a, b) => a + (b || 0), 0));
  const colTotals = m.classes.map((_, j) => m.hectares.reduce((a, r) => a + (r[j] || 0), 0));
  const grand = rowTotals.reduce((a, b) => a + b, 0);
  const head = m.labels.map((l) => `<th scope="col">${esc(l)}</th>`).join("");
  const body = m.hectares
    .map(
      (r, i) => `<tr><th scope="row">${esc(m.labels[i])}</th>
        ${r.map((v, j) => numCell(v, fmtArea).replace('class="num"', `class="num${i === j ? " diag" : ""}"`)).join("")}
        ${numCell(rowTotals[i], fmtArea)}</tr>`,
    )
    .join("");
  const foot = `<tr class="total"><th scope="row">Total</th>${colTotals.map((v) => numCell(v, fmtArea)).join("")}
    ${numCell(grand, fmtArea)}</tr>`;
  const p = period ? ` (rows ${esc(period.start)} → columns ${esc(period.end)})` : "";
  return `<div class="scroll-x"><table class="data matrix${detailed ? " detailed" : ""}" aria-label="Land-use change matrix">
    <caption>Land-use change matrix, ha${p}</caption>
    <thead><tr><th scope="col">${esc(period?.start ?? "from")} \\ ${esc(period?.end ?? "to")}</th>${head}<th scope="col">Total</th></tr></thead>
    <tbody>${body}${foot}</tbody></table></div>`;
}

/** "Tree canopy of the whole jurisdiction: 62.1 % in 2011, 60.3 % in 2016 (−1.8 points)". */
function canopyCover(c) {
  if (!c || c.percent_start === null || c.percent_end === null) return "";
  const d = c.change_points;
  const change = `${d > 0 ? "+" : d < 0 ? "−" : ""}${Math.abs(d).toFixed(1)} points`;
  return `<p class="canopy-cover" data-start="${esc(c.percent_start)}" data-end="${esc(c.percent_end)}">Tree canopy of the
    whole jurisdiction: <strong>${esc(fmtPct(c.percent_start))}</strong> in ${esc(c.start_year)},
    <strong>${esc(fmtPct(c.percent_end))}</strong> in ${esc(c.end_year)} (${esc(change)}).</p>`;
}

function canopyTable(rows) {
  if (!rows || !rows.length) return '<p class="muted">No tree canopy summary in this report.</p>';
  const body = rows
    .map(
      (r) => `<tr><th scope="row">${esc(r.category)}</th>${numCell(r.canopy_ha, fmtArea)}
        ${numCell(r.canopy_loss_ha, fmtArea)}${numCell(r.percent_tree_cover, fmtPct)}</tr>`,
    )
    .join("");
  return `<table class="data canopy" aria-label="Tree canopy summary">
    <caption>Tree canopy by land use</caption>
    <thead><tr><th scope="col">Land use</th><th scope="col">Canopy (ha)</th><th scope="col">Canopy loss (ha)</th>
      <th scope="col">Tree cover</th></tr></thead><tbody>${body}</tbody></table>`;
}

function warningsList(warnings) {
  if (!warnings || !warnings.length) return "";
  return `<section class="warnings" aria-label="Warnings"><h3>Warnings</h3><ul>
    ${warnings.map((w) => `<li>${esc(typeof w === "string" ? w : JSON.stringify(w))}</li>`).join("")}</ul></section>`;
}

function provenanceBlock(prov, open) {
  if (!prov) return "";
  const facts = [
    ["Software", prov.software_version],
    ["Region", prov.region],
    ["Catalog", prov.catalog],
    ["Method", prov.method],
    ["Synthetic data", prov.synthetic === undefined ? undefined : prov.synthetic ? "yes" : "no"],
  ].filter(([, v]) => v !== undefined && v !== null);
  const layers = Object.entries(prov.layers || {})
    .map(([name, l]) => {
      const when = l.year ?? (l.period ? l.period.join("–") : "");
      return `<tr><th scope="row">${esc(name)}</th><td>${esc(when)}</td><td>${esc(l.source ?? "")}</td>
        <td class="path">${esc(l.path ?? "")}</td></tr>`;
    })
    .join("");
  const tables = Object.entries(prov.factor_tables || {})
    .map(([p, sha]) => `<tr><td class="path">${esc(p)}</td><td class="path">${esc(sha)}</td></tr>`)
    .join("");
  return `<details class="provenance"${open ? " open" : ""}><summary>Provenance</summary>
    <dl>${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>
    ${layers ? `<table class="data small" aria-label="Layers used"><caption>Layers</caption><thead><tr><th scope="col">Layer</th><th scope="col">Year / period</th><th scope="col">Source</th><th scope="col">Path</th></tr></thead><tbody>${layers}</tbody></table>` : ""}
    ${tables ? `<table class="data small" aria-label="Factor tables"><caption>Factor tables</caption><thead><tr><th scope="col">Table</th><th scope="col">sha256</th></tr></thead><tbody>${tables}</tbody></table>` : ""}
    <details class="raw"><summary>All provenance (JSON)</summary><pre>${esc(JSON.stringify(prov, null, 2))}</pre></details>
  </details>`;
}

/** A row name on lines of at most `width` characters, broken at spaces ("Reforestation (Non-Forest" / "to
 * Forest)"): narrow labels that never need cutting. */
export function wrapLabel(text, width = 16) {
  const lines = [];
  for (const word of String(text).split(" ")) {
    const last = lines.length ? lines[lines.length - 1] : null;
    if (last !== null && `${last} ${word}`.length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** Pixels per row of the chart: room for every line of the row's label (12 px type) and the bar's padding. */
const LINE_PX = 15;
export const rowHeight = (labels) => Math.max(26, LINE_PX * Math.max(...labels.map((l) => l.length)) + 8);

/** Bar chart of emissions (+) and removals (−) per inventory row, on `canvas` (Chart.js UMD global). Its height
 * grows with the rows and their label lines, so labels never overlap at any width (issue 26 item 3); a negative
 * emission (negative emission factors) is its own labelled "adjustment" bar, not an emission. */
export function drawChart(canvas, report, { responsive = true } = {}) {
  const Chart = window.Chart;
  const old = charts.get(canvas);
  if (old) old.destroy();
  if (!Chart) return null;
  const rows = (report.inventory || []).filter((r) => r.category !== "Total");
  const labels = rows.map((r) => wrapLabel(r.type));
  const wrap = canvas.parentElement;
  if (wrap?.classList.contains("chart-wrap")) wrap.style.height = `${rows.length * rowHeight(labels) + 70}px`;
  const negative = (r) => (r.emissions_t_co2e_per_yr ?? 0) < 0;
  const datasets = [
    {
      label: "Emissions",
      data: rows.map((r) => (negative(r) ? 0 : (r.emissions_t_co2e_per_yr ?? 0))),
      backgroundColor: COLORS.emissions,
    },
    { label: "Removals", data: rows.map((r) => r.removals_t_co2e_per_yr ?? 0), backgroundColor: COLORS.removals },
  ];
  if (rows.some(negative)) {
    datasets.push({
      label: "Adjustment (negative emissions)",
      data: rows.map((r) => (negative(r) ? r.emissions_t_co2e_per_yr : 0)),
      backgroundColor: COLORS.adjustment,
    });
  }
  const chart = new Chart(canvas, {
    type: "bar",
    data: { labels, datasets },
    options: {
      indexAxis: "y",
      animation: false,
      responsive,
      maintainAspectRatio: false,
      scales: {
        x: {
          stacked: true,
          title: { display: true, text: "t CO₂e/yr" },
          ticks: { callback: (v) => fmtFlux(v) },
        },
        y: { stacked: true, ticks: { autoSkip: false, font: { size: 12, lineHeight: LINE_PX / 12 } } },
      },
      plugins: {
        legend: { position: "bottom" },
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? `${rows[items[0].dataIndex].category} — ${rows[items[0].dataIndex].type}` : ""),
            label: (item) => `${item.dataset.label}: ${fmtFlux(item.raw)} t CO₂e/yr`,
          },
        },
      },
    },
  });
  charts.set(canvas, chart);
  return chart;
}

/**
 * Render `report` into `el`. Options: `downloads` [{label, href, download}] links, `printHref`, `open` (expand
 * collapsible sections, for print), `title` override, `perHa` (fluxes per hectare of the area), `hideId` (your own
 * area: no "ID drawn").
 */
export function renderReport(el, report, options = {}) {
  const b = report.boundary || {};
  const scale = scaleOf(options.perHa ? b.area_ha : null);
  const p = report.period || {};
  const synthetic = report.provenance?.synthetic;
  const links = (options.downloads || [])
    .map((d) => `<a class="button" href="${esc(d.href)}" download="${esc(d.download ?? "")}" data-format="${esc(d.format)}">${esc(d.label)}</a>`)
    .join("");
  const print = options.printHref
    ? `<a class="button" href="${esc(options.printHref)}" target="_blank" rel="noopener" data-format="print">Printable report</a>`
    : "";
  const open = options.open ? " open" : "";
  el.innerHTML = `
    <header class="report-head">
      <h2 class="report-title" tabindex="-1">${esc(options.title ?? b.name ?? b.id ?? "Report")}</h2>
      <p class="meta">${b.id && !options.hideId ? `ID <span class="boundary-id">${esc(b.id)}</span> · ` : ""}${esc(fmtArea(b.area_ha))} ha ·
        <span class="period">${esc(p.start)}–${esc(p.end)}</span> (${esc(p.years)} years)${synthetic ? ' · <strong class="synthetic-tag">SYNTHETIC data</strong>' : ""}</p>
    </header>
    ${cards(report.totals, scale)}
    ${partialNote(report.totals)}
    ${plainSentence(report, { title: options.title })}
    ${sharesBlock(report.shares, scale, report.totals?.complete === false, missingOf(report.totals))}
    ${warningsList(report.warnings)}
    ${links || print ? `<nav class="downloads" aria-label="Downloads">${links}${print}</nav>` : ""}
    <section class="scroll-x" aria-label="Inventory">${inventoryTable(report.inventory, report.harvest_by_severity, scale, report.totals)}</section>
    <section class="chart-box" aria-label="Emissions and removals by row">
      <h3>Emissions and removals by row</h3>
      <div class="chart-wrap"><canvas role="img" aria-label="Bar chart of emissions and removals by inventory row"></canvas></div>
    </section>
    <section aria-label="IPCC summary">${ipccTable(report.ipcc_summary, scale, report.totals)}</section>
    <section class="chart-box trend-box" aria-label="Trend across periods" hidden></section>
    <details class="matrix-box"${open}><summary>Land-use change matrix</summary>
      <label class="inline"><input type="checkbox" class="matrix-detail"> NLCD classes (instead of IPCC categories)</label>
      <div class="matrix-holder">${matrixTable(report.change_matrix, p, false)}</div>
    </details>
    <details class="canopy-box" open><summary>Tree canopy</summary>${canopyCover(report.tree_canopy_cover)}${canopyTable(report.tree_canopy)}</details>
    ${provenanceBlock(report.provenance, options.open)}`;
  const detail = el.querySelector(".matrix-detail");
  detail.addEventListener("change", () => {
    el.querySelector(".matrix-holder").innerHTML = matrixTable(report.change_matrix, p, detail.checked);
  });
  drawChart(el.querySelector("canvas"), report, { responsive: options.responsiveChart ?? true });
}
