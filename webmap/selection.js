// The selection (a jurisdiction or your own area) and its report on the panel: computing, shown, failed, with
// the downloads of what is shown.

import { api, postInventory } from "./api.js";
import { fmtFlux } from "./format.js";
import { downloadBase, geometryOf } from "./names.js";
import { announce, renderFailed, renderLoading } from "./panel.js";
import { renderReport, totalsProperties } from "./report.js";
import { boundaryLabel, clearCustom, fitCustom, layerById, restyle, zoomTo } from "./shapes.js";
import { $, busy, clearError, showError, state } from "./state.js";
import { customCsv, storeReport } from "./store.js";
import { showTrend } from "./trend.js";
import { writeUrl } from "./url.js";

export function showReport(report) {
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
    // The printable report as a PDF drawn by the server (WeasyPrint), with a map of the jurisdiction.
    for (const [paper, label] of [["letter", "PDF (Letter)"], ["a4", "PDF (A4)"]]) {
      const href = `${api.downloadUrl(region, sel.id, start, end, "pdf")}&paper=${paper}`;
      downloads.push({ format: `pdf-${paper}`, label, href, download: `${base}.pdf` });
    }
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
    if (sel.kind === "custom" && sel.fit) fitCustom(); // only once accepted (D3)
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

