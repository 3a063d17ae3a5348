// "Compare side by side" (issue 26 item 7): A is the selection and its report, B another jurisdiction and/or
// period. The comparison stays (on the map, in the panel and in the address: `compare`, `compare_start`,
// `compare_end`) until cleared, and follows A when A changes; B's numbers are its own report's.

import { api, postInventory } from "./api.js";
import { compareTable } from "./compare.js";
import { compareBars } from "./compare-bars.js";
import { clearCompareOnMap, showCompareOnMap } from "./compare-map.js";
import { esc } from "./format.js";
import { announce } from "./panel.js";
import { boundaryLabel, customCentre, layerById, restyle } from "./shapes.js";
import { $, clearError, showError, state } from "./state.js";
import { writeUrl } from "./url.js";

const reports = new Map(); // B's reports by region|id|start|end (a report of a period does not change)
let token = 0;

/** B's report: a jurisdiction's, or A's own place (a jurisdiction or your own area) for B's period. */
async function reportOfB(cmp) {
  const sel = state.selection;
  const id = cmp.id ?? (sel.kind === "boundary" ? sel.id : null);
  if (id) {
    const k = [state.region, id, cmp.start, cmp.end].join("|");
    if (!reports.has(k)) reports.set(k, await api.inventory(state.region, id, cmp.start, cmp.end));
    return reports.get(k);
  }
  if (sel.areaId) return api.areaInventory(state.region, sel.areaId, cmp.start, cmp.end);
  return postInventory(state.region, cmp.start, cmp.end, sel.file ?? sel.geojson);
}

const nameOf = (id) => layerById.get(String(id))?.feature.properties.name ?? String(id);

/** The comparison of the report shown (A) with state.compare (B), in the panel and on the map. */
export async function refreshCompare() {
  const out = $("#compare-result");
  const cmp = state.compare;
  const a = state.report;
  const sel = state.selection;
  if (!cmp || !a || !sel) {
    out.innerHTML = "";
    delete out.dataset.state;
    clearCompareOnMap();
    return;
  }
  const mine = ++token;
  out.dataset.state = "loading";
  out.innerHTML = '<p class="muted">Computing B…</p>';
  let b;
  try {
    b = await reportOfB(cmp);
  } catch (err) {
    if (mine !== token) return;
    out.innerHTML = "";
    delete out.dataset.state;
    showError(err);
    return;
  }
  if (mine !== token || state.report !== a) return;
  const custom = sel.kind === "custom";
  const nameA = custom ? sel.name : nameOf(sel.id);
  const nameB = cmp.id ? nameOf(cmp.id) : nameA;
  const period = (r) => `${r.period?.start}–${r.period?.end}`;
  out.innerHTML = `<div class="compare-head">
      <p class="compare-key-text"><span class="key-a">A: ${esc(nameA)}, ${esc(period(a))}</span>
        <span class="key-b">B: ${esc(nameB)}, ${esc(period(b))}</span></p>
      <button type="button" class="button compare-clear">Clear comparison</button></div>
    <section class="chart-box compare-chart" aria-label="A and B side by side">
      <h3>A and B side by side</h3>
      <div class="chart-wrap"><canvas role="img" aria-label="Bars of A and B: net by IPCC category, gross emissions and removals, net"></canvas></div>
    </section>
    <section class="scroll-x">${compareTable(a, b, { nameA, nameB })}</section>`;
  compareBars(out.querySelector("canvas"), a, b, { nameA: `A: ${nameA}`, nameB: `B: ${nameB}` });
  out.querySelector(".compare-clear").addEventListener("click", () => clearCompare({ focus: true }));
  out.dataset.state = "ready";
  out.dataset.compare = cmp.id ?? "";
  announce(`Comparing A: ${nameA}, ${period(a)} with B: ${nameB}, ${period(b)}.`);
  showCompareOnMap(
    { id: custom ? null : sel.id, name: nameA, period: period(a), custom, latlng: custom ? customCentre() : null },
    { id: cmp.id, name: nameB, period: period(b) },
  );
}

/** Compare A with what the form says (its "Compare" button). */
export async function onCompare() {
  if (!state.report || !state.selection) {
    showError(new Error("select a jurisdiction or draw an area first (it is A of the comparison)"));
    return;
  }
  const id = $("#compare-boundary").value || null;
  const start = Number($("#compare-start").value);
  const end = Number($("#compare-end").value);
  if (start >= end) {
    showError(new Error(`B: the start year (${start}) must be before the end year (${end})`));
    return;
  }
  clearError();
  state.compare = { id, start, end };
  restyle();
  writeUrl();
  await refreshCompare();
}

/** End the comparison: B's outline, tags and key leave the map, the bars and table the panel. */
export function clearCompare({ focus = false } = {}) {
  state.compare = null;
  restyle();
  writeUrl();
  refreshCompare();
  if (focus) $("#compare-boundary").focus();
}

/** The comparison the address asks for (before A's report is shown, which runs it): B checked against the
 * region's jurisdictions and years; an Error to show when the link's B is not in the region, else null. */
export function restoreCompare(wanted) {
  state.compare = null;
  fillCompareForm();
  if (wanted.compare === null || wanted.compare === undefined) return null;
  const years = state.info?.years ?? [];
  const id = wanted.compare || null;
  const start = years.includes(wanted.compareStart) ? wanted.compareStart : state.start;
  const end = years.includes(wanted.compareEnd) ? wanted.compareEnd : state.end;
  if ((id && !layerById.has(id)) || !(start < end)) {
    return new Error(`The link's comparison (B: ${id ? boundaryLabel(id) : "same place"}, ${start}–${end}) is not in ${state.region}.`);
  }
  state.compare = { id, start, end };
  fillCompareForm();
  return null;
}

/** The form shows B: its jurisdiction and years (A's period when there is no comparison). */
export function fillCompareForm() {
  const years = state.info?.years ?? [];
  const cmp = state.compare;
  const fill = (select, value) => {
    select.innerHTML = years.map((y) => `<option value="${y}">${y}</option>`).join("");
    select.value = String(value);
  };
  fill($("#compare-start"), cmp?.start ?? state.start);
  fill($("#compare-end"), cmp?.end ?? state.end);
  $("#compare-boundary").value = cmp?.id ?? "";
  if (cmp) $("#compare").open = true;
}
