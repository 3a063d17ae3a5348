// Your own area: drawn on the map (Leaflet-Geoman) or uploaded (GeoJSON, zipped shapefile, GeoPackage), then
// computed by the server like a jurisdiction. The server keeps it under an id, which the address then carries
// (?area=<id>), so a link opens the same area in any browser.

import { api } from "./api.js";
import { geojsonProblem } from "./messages.js";
import { featureName } from "./names.js";
import { renderFailed } from "./panel.js";
import { loadReport } from "./selection.js";
import { clearCustom, restyle, showCustom } from "./shapes.js";
import { $, clearError, showError, state, ui } from "./state.js";
import { writeUrl } from "./url.js";

export async function selectCustom({ geojson = null, file = null, name, fit = false }) {
  clearError();
  // the address changes once the server has computed and stored it (loadReport): ?area=<id> (D17)
  state.selection = { kind: "custom", geojson, file, name, fit };
  restyle();
  clearCustom();
  if (geojson) showCustom(geojson);
  $("#own-area").open = true;
  await loadReport();
}

/** Open an area the server stored (a link's ?area=<id>): its outline and name from the server, then its report. */
export async function openArea(areaId, { history = true } = {}) {
  clearError();
  const token = state.token;
  let feature;
  try {
    feature = await api.area(state.region, areaId);
  } catch (err) {
    state.selection = null;
    renderFailed("This shared area", err);
    showError(err);
    return;
  }
  if (token !== state.token) return; // another selection meanwhile
  const name = feature.properties?.name || "Drawn area";
  state.selection = { kind: "custom", areaId, geojson: feature, name, fit: true };
  restyle();
  showCustom(feature);
  if (history) writeUrl();
  await loadReport();
}

export function setupDrawing() {
  if (!ui.map.pm) return;
  ui.map.pm.addControls({
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
  // Escape ends drawing, wherever the focus is (the draw buttons are links a keyboard reaches: issue 26 item 5)
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && ui.map.pm.globalDrawModeEnabled()) ui.map.pm.disableDraw();
  });
  ui.map.on("pm:create", (e) => {
    const geojson = e.layer.toGeoJSON();
    e.layer.remove(); // shown again (styled) by selectCustom
    selectCustom({ geojson, name: "Drawn area" });
  });
}

export async function onUpload(input) {
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

