// LEARN Navigator web map: the page's start, the region and period controls, search, comparison and history.
// Plain ES modules; Leaflet and Leaflet-Geoman are UMD globals from npm. The jurisdictions on the map are in
// shapes.js, the all-jurisdictions summary in summary.js, the selection and its report in selection.js, your own
// area in own-area.js, the shared state in state.js, the address in url.js.

import { api } from "./api.js";
import { legendControl } from "./choropleth.js";
import { fillCompareForm, onCompare, refreshCompare, restoreCompare } from "./compare-view.js";
import { setupCountyPicker } from "./county.js";
import { esc } from "./format.js";
import { createTileLayerControl, MAX_ZOOM } from "./layers.js";
import { onUpload, openArea, setupDrawing } from "./own-area.js";
import { renderPlaceholder } from "./panel.js";
import { applyPlan, setupPlan } from "./plan.js";
import { createSearch, renderMatches } from "./search.js";
import { loadReport, selectBoundary, showReport } from "./selection.js";
import { clearCustom, drawBoundaries, fitRegion, restyle, shadingOverlay } from "./shapes.js";
import { $, actions, busy, clearError, showError, state, ui } from "./state.js";
import { refreshSummary, summaryBreaks } from "./summary.js";
import { readUrl, writeUrl } from "./url.js";

actions.selectBoundary = selectBoundary;

function fillYears(select, years, value) {
  select.innerHTML = years.map((y) => `<option value="${y}">${y}</option>`).join("");
  select.value = String(value);
}

/** The period selects show the state's years (D11). Every year a period can start (end) with is offered in
 * either select whatever the other says: the other one moves (issue 26 item 3); only the last year cannot start
 * a period and the first cannot end one. */
function syncPeriodSelects() {
  const start = $("#start-select");
  const end = $("#end-select");
  start.value = String(state.start);
  end.value = String(state.end);
  const years = state.info?.years ?? [];
  for (const o of start.options) o.disabled = Number(o.value) >= years[years.length - 1];
  for (const o of end.options) o.disabled = Number(o.value) <= years[0];
}

function fillBoundaryOptions() {
  const feats = state.boundaries.features;
  $("#search-list").innerHTML = feats
    .map((f) => `<option value="${esc(f.properties.name)} (${esc(f.properties.id)})"></option>`)
    .join("");
  ui.search = createSearch(feats.map((f) => f.properties));
  $("#compare-boundary").innerHTML =
    `<option value="">same as A</option>` +
    feats
      .map((f) => `<option value="${esc(f.properties.id)}">${esc(f.properties.name)} (${esc(f.properties.id)})</option>`)
      .join("");
}

async function loadRegion(name, wanted = {}) {
  state.region = name;
  state.selection = null;
  state.report = null;
  const info = await api.region(name);
  state.info = info;
  $("#synthetic-banner").hidden = !info.synthetic;
  document.body.classList.toggle("synthetic", Boolean(info.synthetic));
  const years = info.years || [];
  const [ds, de] = info.default_period || [years[years.length - 2], years[years.length - 1]];
  state.start = years.includes(wanted.start) ? wanted.start : ds;
  state.end = years.includes(wanted.end) ? wanted.end : de;
  if (state.start >= state.end) [state.start, state.end] = [ds, de];
  const differs = (asked, used) => asked !== null && asked !== undefined && asked !== used;
  let linkNote = null;
  if (differs(wanted.start, state.start) || differs(wanted.end, state.end)) {
    // a shared link whose years this region does not have: say so instead of silently showing others (D22)
    const want = `${wanted.start ?? "?"}–${wanted.end ?? "?"}`;
    linkNote = new Error(
      `The link asks for the period ${want}, which ${name} does not have (land-cover years: ${years.join(", ")}; ` +
        `the first year must come before the second). Showing ${state.start}–${state.end} instead.`,
    );
  }
  fillYears($("#start-select"), years, state.start);
  fillYears($("#end-select"), years, state.end);
  syncPeriodSelects();

  ui.tiles?.remove();
  ui.tiles = createTileLayerControl(ui.map, name, info, state.start, state.end, {
    online: navigator.onLine === true,
    overlays: [shadingOverlay],
    shown: wanted.layers ?? null,
    onChange: () => {
      state.layers = ui.tiles.shownKeys();
      writeUrl({ replace: true });
    },
  });
  state.layers = ui.tiles.shownKeys();
  fitRegion();

  state.boundaries = await api.boundaries(name);
  drawBoundaries();
  fillBoundaryOptions();
  const compareNote = restoreCompare(wanted); // shown with A's report
  refreshCompare();
  await refreshSummary();
  renderPlaceholder();
  if (wanted.boundary) await selectBoundary(wanted.boundary, { history: false });
  else if (wanted.area) await openArea(wanted.area, { history: false });
  if (linkNote ?? compareNote) showError(linkNote ?? compareNote); // after the selection, which clears older messages
  writeUrl({ replace: true });
}

async function onSearch(text) {
  const q = text.trim();
  if (!q) return;
  const found = ui.search.find(q);
  const list = $("#search-results");
  if (found.hit) {
    await selectBoundary(String(found.hit.id), { zoom: true, focus: true });
    return;
  }
  renderMatches(list, q, found.matches, (id) => selectBoundary(id, { zoom: true, focus: true }));
  if (!found.matches.length) showError(new Error(`No jurisdiction matches “${q}”. Try part of the name or the GEOID.`));
  else clearError();
}

async function onPeriodChange({ history = true, target = null } = {}) {
  let start = Number($("#start-select").value);
  let end = Number($("#end-select").value);
  const years = state.info?.years ?? [];
  // "from" picked at or after "to": "to" moves to the next year; "to" at or before "from": "from" moves back
  if (start >= end && target?.id === "start-select") end = years.find((y) => y > start) ?? end;
  if (start >= end && target?.id === "end-select") start = [...years].reverse().find((y) => y < end) ?? start;
  if (start >= end) {
    // cannot be picked (the years are disabled), but keep controls and data agreeing if it happens (D11)
    syncPeriodSelects();
    showError(new Error(`The first year (${start}) must come before the second (${end}); the period stays ${state.start}–${state.end}.`));
    return;
  }
  clearError();
  state.start = start;
  state.end = end;
  syncPeriodSelects();
  fillCompareForm(); // B's years stay B's; without a comparison they follow A's
  ui.tiles?.setPeriod(start, end);
  if (history) writeUrl();
  await Promise.all([refreshSummary(), loadReport()]);
}

/** Back/Forward: show what the address says (D22). */
async function onPopState() {
  const wanted = readUrl();
  applyPlan(wanted.plan);
  if (wanted.region && wanted.region !== state.region) {
    $("#region-select").value = wanted.region;
    await loadRegion(wanted.region, wanted);
    return;
  }
  const compareKey = (c) => (c ? `${c.id ?? ""}|${c.start}|${c.end}` : "");
  const compareBefore = compareKey(state.compare);
  restoreCompare(wanted);
  const compareChanged = compareKey(state.compare) !== compareBefore;
  if (compareChanged) restyle();
  const years = state.info?.years ?? [];
  if (years.includes(wanted.start) && years.includes(wanted.end) && wanted.start < wanted.end &&
      (wanted.start !== state.start || wanted.end !== state.end)) {
    $("#start-select").value = String(wanted.start);
    $("#end-select").value = String(wanted.end);
    const sameArea = wanted.area && state.selection?.areaId === wanted.area;
    state.selection = wanted.boundary ? { kind: "boundary", id: wanted.boundary } : sameArea ? state.selection : null;
    await onPeriodChange({ history: false });
  }
  const sel = state.selection;
  if (wanted.boundary && wanted.boundary !== (sel?.kind === "boundary" ? sel.id : null)) {
    await selectBoundary(wanted.boundary, { history: false, zoom: true });
  } else if (!wanted.boundary && wanted.area && wanted.area !== (sel?.kind === "custom" ? sel.areaId : null)) {
    await openArea(wanted.area, { history: false });
  } else if (!wanted.boundary && !wanted.area && state.selection) {
    state.selection = null;
    state.report = null;
    clearCustom();
    restyle();
    renderPlaceholder();
  }
  if (compareChanged) await refreshCompare();
}

/** A "whole region" button under the zoom buttons (D20; also the way back after a far-away upload, D3). */
function homeControl() {
  const Control = L.Control.extend({
    options: { position: "topleft" },
    onAdd() {
      const div = L.DomUtil.create("div", "leaflet-bar home-control");
      div.innerHTML = '<a href="#" role="button" class="home-button" title="Zoom to the whole region" aria-label="Zoom to the whole region">⌂</a>';
      L.DomEvent.disableClickPropagation(div);
      div.querySelector("a").addEventListener("click", (e) => {
        e.preventDefault();
        fitRegion();
      });
      return div;
    },
  });
  return new Control();
}

/** The region select: each region by its title ("Hampshire County, MA" for a prepared county), SYNTHETIC flagged. */
function fillRegionOptions(regions) {
  $("#region-select").innerHTML = regions
    .map((r) => {
      const title = r.title ?? r.name;
      return `<option value="${esc(r.name)}">${esc(title)}${r.synthetic ? " (SYNTHETIC)" : ""}</option>`;
    })
    .join("");
}

/** A county the server just prepared: list the regions again and open it for its years. */
async function openPrepared(region, start, end) {
  const regions = await api.regions();
  fillRegionOptions(regions);
  $("#region-select").value = region;
  busy(true);
  try {
    await loadRegion(region, { start, end });
  } finally {
    busy(false);
  }
}

async function main() {
  ui.map = L.map("map", { zoomSnap: 0.25, minZoom: 3, maxZoom: MAX_ZOOM, keyboard: true, attributionControl: true });
  window.learnMap = ui.map; // for the browser tests and the console
  L.control.scale({ position: "bottomright" }).addTo(ui.map); // D20
  homeControl().addTo(ui.map);
  ui.map.createPane("boundaries").style.zIndex = 450;
  ui.map.createPane("custom").style.zIndex = 460; // your own polygon, above the shading
  ui.map.getPane("custom").style.pointerEvents = "none";
  ui.map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  ui.legend = legendControl().addTo(ui.map);
  setupDrawing();

  $("#alert-close").addEventListener("click", clearError);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("#alert").hidden) clearError(); // D11
  });
  window.addEventListener("popstate", () => onPopState().catch(showError));
  $("#controls").addEventListener("submit", (e) => e.preventDefault());
  $("#start-select").addEventListener("change", (e) => onPeriodChange({ target: e.target }));
  $("#end-select").addEventListener("change", (e) => onPeriodChange({ target: e.target }));
  $("#per-ha").addEventListener("change", (e) => {
    state.perHa = e.target.checked;
    writeUrl({ replace: true }); // a view setting: in the address, no history entry
    summaryBreaks();
    restyle();
    if (state.report && $("#report").dataset.state === "ready") showReport(state.report); // the panel too (D10)
  });
  $("#region-select").addEventListener("change", async (e) => {
    busy(true);
    try {
      await loadRegion(e.target.value);
    } catch (err) {
      showError(err);
    } finally {
      busy(false);
    }
  });
  $("#search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    onSearch($("#search-input").value);
  });
  $("#search-input").addEventListener("change", (e) => {
    // picking a suggestion from the list selects it at once
    if (/\(([^()]+)\)\s*$/.test(e.target.value)) onSearch(e.target.value);
  });
  $("#upload-input").addEventListener("change", (e) => onUpload(e.target));
  $("#compare-form").addEventListener("submit", (e) => {
    e.preventDefault();
    onCompare();
  });

  busy(true);
  try {
    const regions = await api.regions();
    if (!regions.length) throw new Error("the server has no regions; check its catalog");
    fillRegionOptions(regions);
    const wanted = readUrl();
    setupPlan(wanted.plan);
    state.perHa = wanted.perHa;
    $("#per-ha").checked = wanted.perHa;
    const name = regions.some((r) => r.name === wanted.region) ? wanted.region : regions[0].name;
    $("#region-select").value = name;
    await loadRegion(name, wanted);
    await setupCountyPicker({ onReady: openPrepared, showError });
  } catch (err) {
    showError(err);
  } finally {
    busy(false);
    document.body.dataset.ready = "true";
  }
}

main();
