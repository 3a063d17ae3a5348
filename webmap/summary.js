// The current period's net flux of every jurisdiction: the shading's numbers and the all-jurisdictions table
// (sortable by every column, with CSV/Excel downloads: audit D8).

import { api } from "./api.js";
import { breaksFor } from "./choropleth.js";
import { missingOf, NOT_ESTIMATED } from "./estimated.js";
import { esc, fmtFluxHa, numCell } from "./format.js";
import { restyle, valueOf } from "./shapes.js";
import { $, actions, showError, state } from "./state.js";

const PARTIAL_FLAG = ' <abbr class="partial-flag" title="partial total: some rows not estimated">*</abbr>';

/** The shading's class breaks for the summary, in the unit shown (per hectare or not). */
export function summaryBreaks() {
  if (!state.summary) return;
  state.summary.breaks = breaksFor(state.summary.boundaries.map((b) => valueOf(String(b.id))));
}

export async function refreshSummary() {
  const { region, start, end } = state;
  // The old period's shading goes at once: the legend, shading and tooltips never show one period's numbers
  // under another's label while the new summary computes (D12).
  state.summary = null;
  state.summaryLoading = true;
  restyle();
  try {
    const summary = await api.summary(region, start, end);
    if (region !== state.region || start !== state.start || end !== state.end) return;
    summary.byId = new Map(summary.boundaries.map((b) => [String(b.id), b]));
    state.summary = summary;
  } catch (err) {
    if (region !== state.region || start !== state.start || end !== state.end) return;
    state.summary = null;
    showError(err);
  }
  state.summaryLoading = false;
  if (state.summary) {
    summaryBreaks();
  }
  restyle();
  renderSummaryTable();
}

/** The all-jurisdictions table, sortable by every column (click a header; again to reverse), with downloads. */
const SUMMARY_COLUMNS = [
  ["name", "Jurisdiction", (r) => r.name],
  ["kind", "Kind", (r) => r.kind ?? ""],
  ["area_ha", "Area (ha)", (r) => r.area_ha],
  ["net_t_co2e_per_yr", "Net (t CO₂e/yr)", (r) => (missingOf(r).net ? null : r.net_t_co2e_per_yr)],
  ["net_t_co2e_per_ha_yr", "Net (t CO₂e/ha/yr)", (r) => (missingOf(r).net ? null : r.net_t_co2e_per_ha_yr)],
];
const summarySort = { key: "net_t_co2e_per_yr", dir: 1 };

/** The two net cells of a row: numbers, or "not estimated" when nothing of its total was estimated. */
const netCells = (r) =>
  missingOf(r).net
    ? `<td class="num missing not-estimated">${NOT_ESTIMATED}</td>`.repeat(2)
    : `${numCell(r.net_t_co2e_per_yr)}${numCell(r.net_t_co2e_per_ha_yr, fmtFluxHa)}`;

export function renderSummaryTable() {
  const el = $("#summary-table");
  if (!state.summary) {
    el.innerHTML = '<p class="muted">No summary for this period.</p>';
    return;
  }
  const [, , valueOf] = SUMMARY_COLUMNS.find(([k]) => k === summarySort.key);
  const rows = [...state.summary.boundaries].sort((a, b) => {
    const va = valueOf(a);
    const vb = valueOf(b);
    const cmp = typeof va === "string" ? va.localeCompare(vb) : (va ?? -Infinity) - (vb ?? -Infinity);
    return cmp * summarySort.dir;
  });
  const q = `start=${encodeURIComponent(state.start)}&end=${encodeURIComponent(state.end)}`;
  const base = `api/regions/${encodeURIComponent(state.region)}/summary`;
  const head = SUMMARY_COLUMNS.map(([key, label]) => {
    const sorted = key === summarySort.key;
    const aria = sorted ? (summarySort.dir > 0 ? "ascending" : "descending") : "none";
    return `<th scope="col" aria-sort="${aria}"><button type="button" class="link sort" data-sort="${key}">${label}${
      sorted ? (summarySort.dir > 0 ? " ▲" : " ▼") : ""
    }</button></th>`;
  }).join("");
  el.innerHTML = `<p class="downloads">Download this table:
      <a id="summary-csv" href="${base}.csv?${q}" download>CSV</a> ·
      <a id="summary-xlsx" href="${base}.xlsx?${q}" download>Excel</a></p>
    <table class="data summary" aria-label="Net flux of every jurisdiction">
    <caption>Net flux ${esc(state.start)}–${esc(state.end)}</caption>
    <thead><tr>${head}</tr></thead>
    <tbody>${rows
      .map(
        (r) => `<tr><th scope="row"><button type="button" class="link" data-id="${esc(r.id)}">${esc(r.name)}</button></th>
          <td>${esc(r.kind ?? "")}${r.totals_complete === false ? PARTIAL_FLAG : ""}</td>${numCell(r.area_ha)}${netCells(r)}</tr>`,
      )
      .join("")}</tbody></table>${
    rows.some((r) => r.totals_complete === false)
      ? '<p class="muted partial-footnote">* partial total: some inventory rows could not be estimated (a layer or factor table is missing); open the jurisdiction to see which.</p>'
      : ""
  }`;
  for (const b of el.querySelectorAll("button[data-id]")) {
    b.addEventListener("click", () => actions.selectBoundary(b.dataset.id, { zoom: true, focus: true }));
  }
  for (const b of el.querySelectorAll("button[data-sort]")) {
    b.addEventListener("click", () => {
      summarySort.dir = summarySort.key === b.dataset.sort ? -summarySort.dir : 1;
      summarySort.key = b.dataset.sort;
      renderSummaryTable();
      el.querySelector(`button[data-sort="${summarySort.key}"]`)?.focus();
    });
  }
}

