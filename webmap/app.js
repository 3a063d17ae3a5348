// LEARN Navigator web map: jurisdictions shaded by net flux, a report panel, tile layers, your own polygon,
// downloads, comparisons. Plain ES module; Leaflet, Leaflet-Geoman and Chart.js are UMD globals from npm.

import { api, ApiError, postInventory } from "./api.js";
import { breaksFor, colorFor, legendControl, PARTIAL_DASH } from "./choropleth.js";
import { compareTable } from "./compare.js";

const PARTIAL_FLAG = ' <abbr class="partial-flag" title="partial total: some rows not estimated">*</abbr>';
import { esc, fmtFlux, fmtFluxHa, numCell } from "./format.js";
import { createTileLayerControl, MAX_ZOOM } from "./layers.js";
import { forPeople, geojsonProblem } from "./messages.js";
import { announce, renderFailed, renderLoading, renderPlaceholder } from "./panel.js";
import { downloadBase, featureName, geometryOf } from "./names.js";
import { renderReport, totalsProperties } from "./report.js";
import { setupCountyPicker } from "./county.js";
import { createSearch, renderMatches } from "./search.js";
import { customCsv, storeReport } from "./store.js";

const $ = (sel) => document.querySelector(sel);

const state = {
  region: null,
  info: null,
  start: null,
  end: null,
  perHa: false,
  boundaries: null, // GeoJSON FeatureCollection
  summary: null, // {boundaries:[...]} of the current period
  selection: null, // {kind: "boundary", id} | {kind: "custom", geojson | file, name}
  report: null, // the report shown
  token: 0,
};

let map;
let boundaryLayer = null;
let legend = null;
let tiles = null;
let customLayer = null;
let search = null;
const layerById = new Map();

// ---- messages -------------------------------------------------------------------------------------------
function showError(err) {
  const msg = err instanceof ApiError || err instanceof Error ? err.message : String(err);
  $("#alert-text").textContent = forPeople(msg);
  $("#alert").hidden = false;
  if (!(err instanceof ApiError)) console.warn(err);
}
function clearError() {
  $("#alert").hidden = true;
  $("#alert-text").textContent = "";
}
function busy(on) {
  document.body.classList.toggle("busy", on);
  $("#panel").setAttribute("aria-busy", on ? "true" : "false");
}

// ---- URL state ------------------------------------------------------------------------------------------
function readUrl() {
  const p = new URLSearchParams(location.search);
  const int = (k) => (p.get(k) && Number.isFinite(Number(p.get(k))) ? Number(p.get(k)) : null);
  return { region: p.get("region"), boundary: p.get("boundary"), start: int("start"), end: int("end") };
}
/** Put the state in the address: a new history entry when it changed (Back returns to the previous jurisdiction
 * or period, audit D22), the same entry otherwise. */
function writeUrl({ replace = false } = {}) {
  const p = new URLSearchParams();
  if (state.region) p.set("region", state.region);
  if (state.selection?.kind === "boundary") p.set("boundary", state.selection.id);
  if (state.start !== null) p.set("start", state.start);
  if (state.end !== null) p.set("end", state.end);
  const url = `${location.pathname}?${p}`;
  if (url === `${location.pathname}${location.search}`) return;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
}

// ---- selects ----------------------------------------------------------------------------------------------
function fillYears(select, years, value) {
  select.innerHTML = years.map((y) => `<option value="${y}">${y}</option>`).join("");
  select.value = String(value);
}

/** The period selects show the state's years, and years that would make an empty period are disabled (D11). */
function syncPeriodSelects() {
  const start = $("#start-select");
  const end = $("#end-select");
  start.value = String(state.start);
  end.value = String(state.end);
  for (const o of start.options) o.disabled = Number(o.value) >= state.end;
  for (const o of end.options) o.disabled = Number(o.value) <= state.start;
}

function fillBoundaryOptions() {
  const feats = state.boundaries.features;
  $("#search-list").innerHTML = feats
    .map((f) => `<option value="${esc(f.properties.name)} (${esc(f.properties.id)})"></option>`)
    .join("");
  search = createSearch(feats.map((f) => f.properties));
  $("#compare-boundary").innerHTML =
    `<option value="">same as A</option>` +
    feats
      .map((f) => `<option value="${esc(f.properties.id)}">${esc(f.properties.name)} (${esc(f.properties.id)})</option>`)
      .join("");
}

// ---- region ------------------------------------------------------------------------------------------------
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
  fillYears($("#compare-start"), years, state.start);
  fillYears($("#compare-end"), years, state.end);

  tiles?.remove();
  tiles = createTileLayerControl(map, name, info, state.start, state.end, {
    online: navigator.onLine === true,
    overlays: [shadingOverlay],
  });
  fitRegion();

  state.boundaries = await api.boundaries(name);
  drawBoundaries();
  fillBoundaryOptions();
  await refreshSummary();
  renderPlaceholder();
  if (wanted.boundary) await selectBoundary(wanted.boundary, { history: false });
  if (linkNote) showError(linkNote); // after the selection, which clears older messages
  writeUrl({ replace: true });
}

/** Space the map keeps free of the open layer list (top right), so fitting never hides under it (D18). */
function fitPadding() {
  const list = tiles?.isOpen?.() ? document.querySelector(".layer-control") : null;
  return { paddingTopLeft: [50, 20], paddingBottomRight: [list ? list.offsetWidth + 20 : 20, 20] };
}

function fitRegion() {
  const b = state.info?.bounds;
  if (!b) return;
  const [w, s, e, n] = b;
  map.fitBounds(
    [
      [s, w],
      [n, e],
    ],
    fitPadding(),
  );
}

// ---- jurisdictions on the map -----------------------------------------------------------------------------
function valueOf(id) {
  const row = state.summary?.byId.get(id);
  if (!row) return null;
  return state.perHa ? row.net_t_co2e_per_ha_yr : row.net_t_co2e_per_yr;
}

// The jurisdiction shading as an entry of the layer control (outlines stay, so they remain clickable).
const shadingOverlay = {
  key: "shading",
  title: "Jurisdictions shaded by net flux",
  on: true,
  visible: true,
  options: { opacity: 0.6 },
  show() {
    this.visible = true;
    restyle();
  },
  hide() {
    this.visible = false;
    restyle();
  },
  setOpacity(v) {
    this.options.opacity = v;
    restyle();
  },
};

/** True when the summary says this jurisdiction's totals leave out rows not estimated. */
const isPartial = (id) => state.summary?.byId.get(String(id))?.totals_complete === false;

function styleFor(feature) {
  const selected = state.selection?.kind === "boundary" && state.selection.id === feature.properties.id;
  return {
    pane: "boundaries",
    color: selected ? "#000" : "#333",
    weight: selected ? 3.5 : feature.properties.kind === "county" ? 1.6 : 1,
    dashArray: isPartial(feature.properties.id) ? PARTIAL_DASH : null, // partial totals: dashed outline
    opacity: 1,
    fillColor: colorFor(valueOf(feature.properties.id), state.summary?.breaks ?? [0, 0]),
    fillOpacity: shadingOverlay.visible ? shadingOverlay.options.opacity : 0,
  };
}

function drawBoundaries() {
  boundaryLayer?.remove();
  layerById.clear();
  // Big polygons first, so the towns inside counties stay clickable on top.
  const area = (f) => {
    const b = L.geoJSON(f).getBounds();
    return (b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest());
  };
  const feats = [...state.boundaries.features].sort((a, b) => area(b) - area(a));
  boundaryLayer = L.geoJSON(
    { type: "FeatureCollection", features: feats },
    {
      pane: "boundaries",
      style: styleFor,
      onEachFeature(feature, layer) {
        const p = feature.properties;
        layerById.set(String(p.id), layer);
        layer.bindTooltip(() => tooltipFor(p), { sticky: true, className: "boundary-tip" });
        layer.on("click", (e) => {
          if (map.pm?.globalDrawModeEnabled?.()) return; // drawing: the click belongs to the polygon
          L.DomEvent.stop(e);
          selectBoundary(String(p.id));
        });
        layer.on("add", () => makeFocusable(layer, p));
      },
    },
  ).addTo(map);
}

function makeFocusable(layer, p) {
  const el = layer.getElement?.();
  if (!el) return;
  el.setAttribute("tabindex", "0");
  el.setAttribute("role", "button");
  el.setAttribute("aria-label", `${p.name} (${p.id})`);
  el.dataset.boundaryId = p.id;
  el.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      selectBoundary(String(p.id), { focus: true });
    }
  });
}

function tooltipFor(p) {
  const row = state.summary?.byId.get(String(p.id));
  const v = valueOf(String(p.id));
  const unit = state.perHa ? "t CO₂e/ha/yr" : "t CO₂e/yr";
  const value = row ? `${(state.perHa ? fmtFluxHa : fmtFlux)(v)} ${unit}` : state.summaryLoading ? "computing…" : "no value";
  const partial = isPartial(p.id)
    ? `<br><em class="partial-tip">Partial total: ${esc(row.not_estimated.length)} row(s) not estimated</em>`
    : "";
  return `<strong>${esc(p.name)}</strong> (${esc(p.id)})<br>Net ${esc(state.start)}–${esc(state.end)}: ${esc(value)}${partial}`;
}

function restyle() {
  boundaryLayer?.setStyle(styleFor);
  const sel = state.selection?.kind === "boundary" ? layerById.get(state.selection.id) : null;
  sel?.bringToFront();
  legend.getContainer().hidden = !shadingOverlay.visible;
  legend.update({
    breaks: state.summary?.breaks ?? [0, 0],
    perHa: state.perHa,
    start: state.start,
    end: state.end,
    loading: state.summaryLoading,
    partial: (state.summary?.boundaries ?? []).some((b) => b.totals_complete === false),
  });
}

async function refreshSummary() {
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
    state.summary.breaks = breaksFor(state.summary.boundaries.map((b) => (state.perHa ? b.net_t_co2e_per_ha_yr : b.net_t_co2e_per_yr)));
  }
  restyle();
  renderSummaryTable();
}

/** The all-jurisdictions table, sortable by every column (click a header; again to reverse), with downloads. */
const SUMMARY_COLUMNS = [
  ["name", "Jurisdiction", (r) => r.name],
  ["kind", "Kind", (r) => r.kind ?? ""],
  ["area_ha", "Area (ha)", (r) => r.area_ha],
  ["net_t_co2e_per_yr", "Net (t CO₂e/yr)", (r) => r.net_t_co2e_per_yr],
  ["net_t_co2e_per_ha_yr", "Net (t CO₂e/ha/yr)", (r) => r.net_t_co2e_per_ha_yr],
];
const summarySort = { key: "net_t_co2e_per_yr", dir: 1 };

function renderSummaryTable() {
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
          <td>${esc(r.kind ?? "")}${r.totals_complete === false ? PARTIAL_FLAG : ""}</td>${numCell(r.area_ha)}${numCell(r.net_t_co2e_per_yr)}${numCell(r.net_t_co2e_per_ha_yr, fmtFluxHa)}</tr>`,
      )
      .join("")}</tbody></table>${
    rows.some((r) => r.totals_complete === false)
      ? '<p class="muted partial-footnote">* partial total: some inventory rows could not be estimated (a layer or factor table is missing); open the jurisdiction to see which.</p>'
      : ""
  }`;
  for (const b of el.querySelectorAll("button[data-id]")) {
    b.addEventListener("click", () => selectBoundary(b.dataset.id, { zoom: true, focus: true }));
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

// ---- the report panel ---------------------------------------------------------------------------------------
function showReport(report) {
  state.report = report;
  const el = $("#report");
  const { region, start, end } = state;
  const sel = state.selection;
  let downloads;
  let printHref;
  if (sel.kind === "boundary") {
    const base = downloadBase(report.boundary?.id ?? sel.id, report.boundary?.name, start, end);
    downloads = ["csv", "xlsx", "json", "geojson"].map((format) => ({
      format,
      label: format === "geojson" ? "GeoJSON" : format.toUpperCase(),
      href: api.downloadUrl(region, sel.id, start, end, format),
      download: `${base}.${format}`,
    }));
    printHref = `report.html?${new URLSearchParams({ region, boundary: sel.id, start, end })}`;
  } else {
    const base = downloadBase("custom", sel.name, start, end);
    const blobUrl = (text, type) => URL.createObjectURL(new Blob([text], { type }));
    downloads = [
      { format: "csv", label: "CSV", href: blobUrl(customCsv(report), "text/csv"), download: `${base}.csv` },
      { format: "json", label: "JSON", href: blobUrl(JSON.stringify(report, null, 2), "application/json"), download: `${base}.json` },
    ];
    if (sel.geojson) {
      const fc = {
        type: "FeatureCollection",
        features: [{ type: "Feature", geometry: geometryOf(sel.geojson), properties: { name: report.boundary?.name, ...totalsProperties(report.totals) } }],
      };
      downloads.push({ format: "geojson", label: "GeoJSON", href: blobUrl(JSON.stringify(fc), "application/geo+json"), download: `${base}.geojson` });
    }
    printHref = `report.html?${new URLSearchParams({ stored: storeReport(report), region })}`;
  }
  el.classList.remove("stale");
  delete el.dataset.loading;
  const title = sel.kind === "custom" ? sel.name : undefined;
  renderReport(el, report, { downloads, printHref, title, perHa: state.perHa });
  el.dataset.state = "ready";
  el.dataset.perHa = String(state.perHa);
  const net = report.totals?.net_t_co2e_per_yr;
  announce(`${title ?? report.boundary?.name ?? "Report"} ${start}–${end}: net ${fmtFlux(net)} t CO₂e per year.`);
  el.dataset.boundary = sel.kind === "boundary" ? sel.id : "custom";
  el.dataset.start = String(report.period?.start ?? start);
  el.dataset.end = String(report.period?.end ?? end);
  $("#compare-result").innerHTML = "";
}

/** Select a jurisdiction. `zoom`: fit the map to it; `focus`: move keyboard focus to the report's title once
 * shown (D7: focus was lost to <body>); `history: false` when the address already says it (Back, first load). */
async function selectBoundary(id, { zoom = false, focus = false, history = true } = {}) {
  // a link may name the jurisdiction instead of giving its GEOID (?boundary=Alder%20County, D22)
  const byName = state.boundaries?.features.find((f) => f.properties.name.toLowerCase() === String(id).toLowerCase());
  if (!layerById.has(String(id)) && byName) id = String(byName.properties.id);
  const layer = layerById.get(String(id));
  if (!layer) {
    showError(new Error(`There is no jurisdiction “${id}” in ${state.region}. Search by name or GEOID in the panel.`));
    return;
  }
  clearError();
  $("#search-results").hidden = true;
  state.selection = { kind: "boundary", id: String(id) };
  clearCustom();
  restyle();
  const f = layer.feature.properties;
  $("#search-input").value = `${f.name} (${f.id})`;
  if (zoom) zoomTo(String(id));
  if (history) writeUrl();
  await loadReport({ focus });
}

/** After a selection on a small screen the panel is below the map: bring the report into view (D6). */
function revealReport(focus) {
  const title = $("#report .report-title");
  if (focus && title) title.focus({ preventScroll: true });
  if (window.matchMedia("(max-width: 900px)").matches) $("#report").scrollIntoView({ block: "start" });
}

async function loadReport({ focus = false } = {}) {
  const sel = state.selection;
  if (!sel) return;
  const token = ++state.token;
  const { region, start, end } = state;
  const label = sel.kind === "boundary" ? boundaryLabel(sel.id) : sel.name;
  busy(true);
  renderLoading(`${label}, ${start}–${end}`);
  try {
    let report;
    if (sel.kind === "boundary") {
      report = await api.inventory(region, sel.id, start, end);
    } else {
      report = await postInventory(region, start, end, sel.file ?? sel.geojson, {
        onProgress: (p, status) => {
          $("#job-status").textContent = `Computing… ${status ?? ""}${p !== null && p !== undefined ? ` ${Math.round(p * 100)} %` : ""}`;
        },
      });
      $("#job-status").textContent = "";
    }
    if (token !== state.token) return;
    showReport(report);
    if (sel.kind === "custom" && sel.fit && customLayer?.getBounds().isValid()) {
      map.fitBounds(customLayer.getBounds(), { maxZoom: 13, ...fitPadding() }); // only once accepted (D3)
    }
    revealReport(focus);
  } catch (err) {
    if (token !== state.token) return;
    $("#job-status").textContent = "";
    if (sel.kind === "custom") clearCustom(); // the rejected polygon leaves the map with its numbers (D3)
    renderFailed(label, err);
    showError(err);
  } finally {
    if (token === state.token) busy(false);
  }
}

function boundaryLabel(id) {
  const p = layerById.get(String(id))?.feature.properties;
  return p ? `${p.name} (${p.id})` : String(id);
}

// ---- your own polygon -----------------------------------------------------------------------------------------
function clearCustom() {
  if (customLayer) {
    customLayer.remove();
    customLayer = null;
  }
}

async function selectCustom({ geojson = null, file = null, name, fit = false }) {
  clearError();
  state.selection = { kind: "custom", geojson, file, name, fit };
  restyle();
  writeUrl();
  clearCustom();
  if (geojson) {
    customLayer = L.geoJSON(geojson, {
      pane: "custom",
      interactive: false,
      pmIgnore: true,
      style: { color: "#6a1b9a", weight: 3, fillOpacity: 0.15, dashArray: "6 4" },
    }).addTo(map);
  }
  $("#own-area").open = true;
  await loadReport();
}

function setupDrawing() {
  if (!map.pm) return;
  map.pm.addControls({
    position: "topleft",
    drawMarker: false,
    drawCircleMarker: false,
    drawPolyline: false,
    drawCircle: false,
    drawText: false,
    drawRectangle: true,
    drawPolygon: true,
    editMode: false,
    dragMode: false,
    cutPolygon: false,
    removalMode: false,
    rotateMode: false,
  });
  // Geoman's buttons are links without text: name them for screen readers (audit D24)
  const names = { polygon: "Draw a polygon", rectangle: "Draw a rectangle" };
  for (const [shape, label] of Object.entries(names)) {
    const a = document.querySelector(`.leaflet-pm-icon-${shape}`)?.closest("a");
    if (a) {
      a.setAttribute("aria-label", label);
      a.setAttribute("title", label);
    }
  }
  map.on("pm:create", (e) => {
    const geojson = e.layer.toGeoJSON();
    e.layer.remove(); // shown again (styled) by selectCustom
    selectCustom({ geojson, name: "Drawn area" });
  });
}

async function onUpload(input) {
  const file = input.files?.[0];
  if (!file) return;
  input.value = ""; // the same file may be chosen again
  let geojson = null;
  if (/\.(geo)?json$/i.test(file.name)) {
    try {
      geojson = JSON.parse(await file.text());
    } catch {
      showError(new Error(`${file.name} is not valid JSON`));
      return;
    }
    const problem = geojsonProblem(geojson, state.info?.bounds);
    if (problem) {
      // projected or swapped coordinates: say which, before the server answers "outside the data" (D14)
      showError(new Error(`${file.name}: ${problem}`));
      return;
    }
  }
  await selectCustom({ geojson, file, name: featureName(geojson) ?? file.name, fit: true });
}

// ---- search ------------------------------------------------------------------------------------------------------
async function onSearch(text) {
  const q = text.trim();
  if (!q) return;
  const found = search.find(q);
  const list = $("#search-results");
  if (found.hit) {
    await selectBoundary(String(found.hit.id), { zoom: true, focus: true });
    return;
  }
  renderMatches(list, q, found.matches, (id) => selectBoundary(id, { zoom: true, focus: true }));
  if (!found.matches.length) showError(new Error(`No jurisdiction matches “${q}”. Try part of the name or the GEOID.`));
  else clearError();
}

function zoomTo(id) {
  const layer = layerById.get(id);
  if (layer) map.fitBounds(layer.getBounds(), { maxZoom: 12, ...fitPadding() });
}

// ---- comparison ----------------------------------------------------------------------------------------------------
async function onCompare() {
  if (!state.report || !state.selection) {
    showError(new Error("select a jurisdiction or draw an area first (it is A of the comparison)"));
    return;
  }
  const bId = $("#compare-boundary").value;
  const bStart = Number($("#compare-start").value);
  const bEnd = Number($("#compare-end").value);
  if (bStart >= bEnd) {
    showError(new Error(`B: the start year (${bStart}) must be before the end year (${bEnd})`));
    return;
  }
  clearError();
  const out = $("#compare-result");
  out.innerHTML = '<p class="muted">Computing B…</p>';
  try {
    const sel = state.selection;
    let reportB;
    if (bId) reportB = await api.inventory(state.region, bId, bStart, bEnd);
    else if (sel.kind === "boundary") reportB = await api.inventory(state.region, sel.id, bStart, bEnd);
    else reportB = await postInventory(state.region, bStart, bEnd, sel.file ?? sel.geojson);
    out.innerHTML = compareTable(state.report, reportB, { nameA: sel.kind === "custom" ? sel.name : undefined });
  } catch (err) {
    out.innerHTML = "";
    showError(err);
  }
}

// ---- period and options ------------------------------------------------------------------------------------------
async function onPeriodChange({ history = true } = {}) {
  const start = Number($("#start-select").value);
  const end = Number($("#end-select").value);
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
  fillYears($("#compare-start"), state.info.years, start);
  fillYears($("#compare-end"), state.info.years, end);
  tiles?.setPeriod(start, end);
  if (history) writeUrl();
  await Promise.all([refreshSummary(), loadReport()]);
}

/** Back/Forward: show what the address says (D22). */
async function onPopState() {
  const wanted = readUrl();
  if (wanted.region && wanted.region !== state.region) {
    $("#region-select").value = wanted.region;
    await loadRegion(wanted.region, wanted);
    return;
  }
  const years = state.info?.years ?? [];
  if (years.includes(wanted.start) && years.includes(wanted.end) && wanted.start < wanted.end &&
      (wanted.start !== state.start || wanted.end !== state.end)) {
    $("#start-select").value = String(wanted.start);
    $("#end-select").value = String(wanted.end);
    state.selection = wanted.boundary ? { kind: "boundary", id: wanted.boundary } : null;
    await onPeriodChange({ history: false });
  }
  if (wanted.boundary && wanted.boundary !== (state.selection?.kind === "boundary" ? state.selection.id : null)) {
    await selectBoundary(wanted.boundary, { history: false, zoom: true });
  } else if (!wanted.boundary && state.selection) {
    state.selection = null;
    state.report = null;
    clearCustom();
    restyle();
    renderPlaceholder();
  }
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

/** A county the server just prepared: list the regions again and open it for its years. */
async function openPrepared(region, start, end) {
  const regions = await api.regions();
  $("#region-select").innerHTML = regions
    .map((r) => `<option value="${esc(r.name)}">${esc(r.name)}${r.synthetic ? " (SYNTHETIC)" : ""}</option>`)
    .join("");
  $("#region-select").value = region;
  busy(true);
  try {
    await loadRegion(region, { start, end });
  } finally {
    busy(false);
  }
}

// ---- start ------------------------------------------------------------------------------------------------------------
async function main() {
  map = L.map("map", { zoomSnap: 0.25, minZoom: 3, maxZoom: MAX_ZOOM, keyboard: true, attributionControl: true });
  window.learnMap = map; // for the browser tests and the console
  L.control.scale({ position: "bottomright" }).addTo(map); // D20
  homeControl().addTo(map);
  map.createPane("boundaries").style.zIndex = 450;
  map.createPane("custom").style.zIndex = 460; // your own polygon, above the shading
  map.getPane("custom").style.pointerEvents = "none";
  map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
  legend = legendControl().addTo(map);
  setupDrawing();

  $("#alert-close").addEventListener("click", clearError);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("#alert").hidden) clearError(); // D11
  });
  window.addEventListener("popstate", () => onPopState().catch(showError));
  $("#controls").addEventListener("submit", (e) => e.preventDefault());
  $("#start-select").addEventListener("change", onPeriodChange);
  $("#end-select").addEventListener("change", onPeriodChange);
  $("#per-ha").addEventListener("change", (e) => {
    state.perHa = e.target.checked;
    if (state.summary) {
      state.summary.breaks = breaksFor(state.summary.boundaries.map((b) => (state.perHa ? b.net_t_co2e_per_ha_yr : b.net_t_co2e_per_yr)));
    }
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
    $("#region-select").innerHTML = regions
      .map((r) => `<option value="${esc(r.name)}">${esc(r.name)}${r.synthetic ? " (SYNTHETIC)" : ""}</option>`)
      .join("");
    const wanted = readUrl();
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
