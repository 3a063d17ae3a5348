// The selection (a jurisdiction or your own area) and its report on the panel: computing, shown, failed, with
// the downloads of what is shown.

import { api, postArea } from "./api.js";
import { refreshCompare } from "./compare-view.js";
import { fmtFlux } from "./format.js";
import { areaDownloadBase, downloadBase } from "./names.js";
import { announce, renderFailed, renderLoading } from "./panel.js";
import { pdfWithProgress } from "./pdf-progress.js";
import { renderReport } from "./report.js";
import { boundaryLabel, clearCustom, fitCustom, layerById, restyle, showCustom, zoomTo } from "./shapes.js";
import { $, busy, clearError, showError, state } from "./state.js";
import { storeReport } from "./store.js";
import { showTrend } from "./trend.js";
import { writeUrl } from "./url.js";

const FORMATS = ["csv", "xlsx", "json", "geojson"];

/** The downloads of your own area: the server's (as a jurisdiction's) once it is stored, else the JSON here. */
function areaDownloads(report, sel) {
  const { region, start, end } = state;
  const base = areaDownloadBase(report.boundary?.name ?? sel.name, start, end);
  if (!sel.areaId) {
    const json = URL.createObjectURL(new Blob([JSON.stringify(report, null, 2)], { type: "application/json" }));
    return {
      downloads: [{ format: "json", label: "JSON", href: json, download: `${base}.json` }],
      printHref: `report.html?${new URLSearchParams({ stored: storeReport(report), region })}`,
    };
  }
  return {
    downloads: FORMATS.map((format) => ({
      format,
      label: format === "geojson" ? "GeoJSON" : format.toUpperCase(),
      href: api.areaDownloadUrl(region, sel.areaId, start, end, format),
      download: `${base}.${format}`,
    })),
    printHref: `report.html?${new URLSearchParams({ region, area: sel.areaId, start, end })}`,
  };
}

/** "Copy link" after the downloads of a stored area: the map's address that opens it in any browser. */
function addCopyLink(el, sel) {
  const nav = el.querySelector("nav.downloads");
  if (!nav || !sel.areaId) return;
  const { region, start, end } = state;
  const link = `${location.origin}${location.pathname}?${new URLSearchParams({ region, area: sel.areaId, start, end })}`;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button copy-link";
  button.dataset.href = link;
  button.textContent = "Copy link";
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(link);
      button.textContent = "Link copied";
    } catch {
      // no clipboard (permission, plain http): show the link, selected, to copy by hand
      let field = nav.querySelector(".share-link");
      if (!field) {
        field = Object.assign(document.createElement("input"), { readOnly: true, className: "share-link", value: link });
        field.setAttribute("aria-label", "Link to this area");
        nav.append(field);
      }
      field.select();
    }
  });
  nav.append(button);
}

export function showReport(report) {
  state.report = report;
  const el = $("#report");
  const { region, start, end } = state;
  const sel = state.selection;
  let downloads;
  let printHref;
  if (sel.kind === "boundary") {
    const base = downloadBase(report.boundary?.id ?? sel.id, report.boundary?.name, start, end);
    downloads = FORMATS.map((format) => ({
      format,
      label: format === "geojson" ? "GeoJSON" : format.toUpperCase(),
      href: api.downloadUrl(region, sel.id, start, end, format),
      download: `${base}.${format}`,
    }));
    // The printable report as a PDF drawn by the server (WeasyPrint), with a map of the jurisdiction.
    for (const [paper, label] of [["letter", "PDF (Letter)"], ["a4", "PDF (A4)"]]) {
      const href = `${api.downloadUrl(region, sel.id, start, end, "pdf")}&paper=${paper}`;
      // the paper in the name: Letter and A4 never overwrite each other (issue 26 item 3)
      downloads.push({ format: `pdf-${paper}`, label, href, download: `${base}_${paper}.pdf` });
    }
    printHref = `report.html?${new URLSearchParams({ region, boundary: sel.id, start, end })}`;
  } else {
    ({ downloads, printHref } = areaDownloads(report, sel));
  }
  el.classList.remove("stale");
  delete el.dataset.loading;
  const custom = sel.kind === "custom";
  const title = custom ? (report.boundary?.name ?? sel.name) : undefined;
  // your own area has no ID to show ("drawn"/"upload" is the server's label, not a name, D17)
  renderReport(el, report, { downloads, printHref, title, perHa: state.perHa, hideId: custom });
  if (custom) addCopyLink(el, sel);
  else pdfWithProgress(el);
  el.dataset.state = "ready";
  el.dataset.perHa = String(state.perHa);
  const net = report.totals?.net_t_co2e_per_yr;
  announce(`${title ?? report.boundary?.name ?? "Report"} ${start}–${end}: net ${fmtFlux(net)} t CO₂e per year.`);
  el.dataset.boundary = custom ? "custom" : sel.id;
  if (custom && sel.areaId) el.dataset.area = sel.areaId;
  else delete el.dataset.area;
  el.dataset.start = String(report.period?.start ?? start);
  el.dataset.end = String(report.period?.end ?? end);
  refreshCompare(); // A changed (selection, period, per hectare): the comparison follows it
  if (sel.kind === "boundary") showTrend(el, { region, boundary: sel.id, perHa: state.perHa, period: report.period });
}

/** Select a jurisdiction. `zoom`: fit the map to it; `focus`: move keyboard focus to the report's title once
 * shown (D7: focus was lost to <body>); `history: false` when the address already says it (Back, first load). */
export async function selectBoundary(id, { zoom = false, focus = false, history = true } = {}) {
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

export async function loadReport({ focus = false } = {}) {
  const sel = state.selection;
  if (!sel) return;
  const token = ++state.token;
  const { region, start, end } = state;
  const label = sel.kind === "boundary" ? boundaryLabel(sel.id) : sel.name;
  busy(true);
  renderLoading(`${label}, ${start}–${end}`);
  try {
    let report;
    let posted = false;
    if (sel.kind === "boundary") {
      report = await api.inventory(region, sel.id, start, end);
    } else if (sel.areaId) {
      report = await api.areaInventory(region, sel.areaId, start, end); // stored: no need to send it again
    } else {
      const answer = await postArea(region, start, end, sel.file ?? sel.geojson, {
        onProgress: (p, status) => {
          $("#job-status").textContent = `Computing… ${status ?? ""}${p !== null && p !== undefined ? ` ${Math.round(p * 100)} %` : ""}`;
        },
      });
      $("#job-status").textContent = "";
      ({ report } = answer);
      posted = true;
      sel.areaId = answer.areaId;
      if (!sel.geojson && sel.areaId) {
        // a zipped shapefile or GeoPackage: its outline, as the server read it
        sel.geojson = await api.area(region, sel.areaId).catch(() => null);
        if (token === state.token && sel.geojson) showCustom(sel.geojson);
      }
    }
    if (token !== state.token) return;
    if (sel.kind === "custom") sel.name = report.boundary?.name ?? sel.name; // the feature's name (D17)
    if (posted) writeUrl(); // the address now opens this area, in any browser (D17)
    showReport(report);
    if (sel.kind === "custom" && sel.fit) fitCustom(); // only once accepted (D3)
    revealReport(focus);
  } catch (err) {
    if (token !== state.token) return;
    $("#job-status").textContent = "";
    if (sel.kind === "custom") {
      clearCustom(); // the rejected polygon leaves the map with its numbers (D3)
      if (!sel.areaId) writeUrl(); // and the address no longer names the previous selection
    }
    renderFailed(label, err);
    showError(err);
  } finally {
    if (token === state.token) busy(false);
  }
}

