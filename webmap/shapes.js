// What the map draws as vectors: the jurisdictions (shaded by net flux, outlined dashed where partial, clickable
// and keyboard-focusable) and your own area; fitting the view to them.

import { colorFor, PARTIAL_DASH } from "./choropleth.js";
import { COMPARE_B } from "./compare-colors.js";
import { missingOf, NOT_ESTIMATED } from "./estimated.js";
import { esc, fmtFlux, fmtFluxHa } from "./format.js";
import { actions, state, ui } from "./state.js";

let boundaryLayer = null;
let customLayer = null;
/** The jurisdictions' Leaflet layers by id (string). */
export const layerById = new Map();

/** Space the map keeps free of the open layer list (top right), so fitting never hides under it (D18). */
export function fitPadding() {
  const list = ui.tiles?.isOpen?.() ? document.querySelector(".layer-control") : null;
  return { paddingTopLeft: [50, 20], paddingBottomRight: [list ? list.offsetWidth + 20 : 20, 20] };
}

export function fitRegion() {
  const b = state.info?.bounds;
  if (!b) return;
  const [w, s, e, n] = b;
  ui.map.fitBounds(
    [
      [s, w],
      [n, e],
    ],
    fitPadding(),
  );
}

export function valueOf(id) {
  const row = state.summary?.byId.get(id);
  if (!row || missingOf(row).net) return null; // nothing estimated: grey, never 0 (issue 26 item 8)
  return state.perHa ? row.net_t_co2e_per_ha_yr : row.net_t_co2e_per_yr;
}

// The jurisdiction shading as an entry of the layer control (outlines stay, so they remain clickable).
export const shadingOverlay = {
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
export const isPartial = (id) => state.summary?.byId.get(String(id))?.totals_complete === false;

/** B of a comparison (another jurisdiction than A): outlined blue (issue 26 item 7, compare-map.js). */
const isCompared = (id) => Boolean(state.compare?.id) && state.compare.id === String(id);

export function styleFor(feature) {
  const selected = state.selection?.kind === "boundary" && state.selection.id === feature.properties.id;
  const compared = !selected && isCompared(feature.properties.id);
  return {
    pane: "boundaries",
    color: selected ? "#000" : compared ? COMPARE_B : "#333",
    weight: selected ? 3.5 : compared ? 4 : feature.properties.kind === "county" ? 1.6 : 1,
    // partial totals: dashed outline (not one with nothing estimated: that is grey, "not estimated")
    dashArray: isPartial(feature.properties.id) && valueOf(feature.properties.id) !== null ? PARTIAL_DASH : null,
    opacity: 1,
    fillColor: colorFor(valueOf(feature.properties.id), state.summary?.breaks ?? [0, 0]),
    fillOpacity: shadingOverlay.visible ? shadingOverlay.options.opacity : 0,
  };
}

export function drawBoundaries() {
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
          if (ui.map.pm?.globalDrawModeEnabled?.()) return; // drawing: the click belongs to the polygon
          L.DomEvent.stop(e);
          actions.selectBoundary(String(p.id));
        });
        layer.on("add", () => makeFocusable(layer, p));
      },
    },
  ).addTo(ui.map);
  resetTabStop();
}

/** The jurisdictions' shapes are one stop of the Tab key (a region of 3,000 zones is not 3,000 stops before the
 * panel: issue 26 item 5): the selected one — else the first by name — takes the focus; ↓ → / ↑ ← move it to the
 * next / previous by name, Home / End to the first / last; Enter or Space selects. */
export function makeFocusable(layer, p) {
  const el = layer.getElement?.();
  if (!el) return;
  el.setAttribute("tabindex", "-1");
  el.setAttribute("role", "button");
  el.setAttribute("aria-label", `${p.name} (${p.id})`);
  el.dataset.boundaryId = p.id;
  el.addEventListener("focus", () => focusShape(p.id, false)); // focused (a click too): the Tab stop from now
  el.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      actions.selectBoundary(String(p.id), { focus: true });
      return;
    }
    const step = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1, Home: "first", End: "last" }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    e.stopPropagation(); // not the map's panning
    const order = tabOrder();
    const i = order.indexOf(String(p.id));
    const next = step === "first" ? 0 : step === "last" ? order.length - 1 : (i + step + order.length) % order.length;
    focusShape(order[next]);
  });
}

/** The jurisdictions' ids by name: the order the arrow keys go through them. */
function tabOrder() {
  return [...layerById.values()]
    .map((l) => l.feature.properties)
    .sort((a, b) => String(a.name).localeCompare(String(b.name)) || String(a.id).localeCompare(String(b.id)))
    .map((x) => String(x.id));
}

/** Make `id`'s shape the Tab stop of the map's shapes (and focus it, when `focus`). */
export function focusShape(id, focus = true) {
  for (const el of document.querySelectorAll('.leaflet-boundaries-pane path[tabindex="0"]')) el.setAttribute("tabindex", "-1");
  const layer = layerById.get(String(id));
  const el = layer?.getElement?.();
  if (!el) return;
  el.setAttribute("tabindex", "0");
  if (!focus) return;
  if (!ui.map.getBounds().contains(layer.getBounds().getCenter())) ui.map.panTo(layer.getBounds().getCenter());
  el.focus({ preventScroll: true });
}

/** The Tab stop of the shapes: the selected jurisdiction, else the first by name. */
export function resetTabStop() {
  const sel = state.selection?.kind === "boundary" ? state.selection.id : null;
  const id = sel && layerById.has(sel) ? sel : tabOrder()[0];
  if (id !== undefined) focusShape(id, false);
}

export function tooltipFor(p) {
  const row = state.summary?.byId.get(String(p.id));
  const v = valueOf(String(p.id));
  const unit = state.perHa ? "t CO₂e/ha/yr" : "t CO₂e/yr";
  const value = !row
    ? state.summaryLoading ? "computing…" : "no value"
    : v === null ? NOT_ESTIMATED : `${(state.perHa ? fmtFluxHa : fmtFlux)(v)} ${unit}`;
  const partial = isPartial(p.id) && v !== null
    ? `<br><em class="partial-tip">Partial total: ${esc(row.not_estimated.length)} row(s) not estimated</em>`
    : "";
  return `<strong>${esc(p.name)}</strong> (${esc(p.id)})<br>Net ${esc(state.start)}–${esc(state.end)}: ${esc(value)}${partial}`;
}

export function restyle() {
  boundaryLayer?.setStyle(styleFor);
  if (!document.activeElement?.closest?.(".leaflet-boundaries-pane")) resetTabStop();
  if (state.compare?.id) layerById.get(state.compare.id)?.bringToFront();
  const sel = state.selection?.kind === "boundary" ? layerById.get(state.selection.id) : null;
  sel?.bringToFront();
  ui.legend.getContainer().hidden = !shadingOverlay.visible;
  ui.legend.update({
    breaks: state.summary?.breaks ?? [0, 0],
    values: (state.summary?.boundaries ?? []).map((b) => valueOf(String(b.id))),
    perHa: state.perHa,
    start: state.start,
    end: state.end,
    loading: state.summaryLoading,
    partial: (state.summary?.boundaries ?? []).some((b) => b.totals_complete === false && valueOf(String(b.id)) !== null),
  });
}

export function zoomTo(id) {
  const layer = layerById.get(id);
  if (layer) ui.map.fitBounds(layer.getBounds(), { maxZoom: 12, ...fitPadding() });
}

export function boundaryLabel(id) {
  const p = layerById.get(String(id))?.feature.properties;
  return p ? `${p.name} (${p.id})` : String(id);
}

// ---- your own area
export function clearCustom() {
  if (customLayer) {
    customLayer.remove();
    customLayer = null;
  }
}

/** Draw your own area (dashed purple, above the shading, not clickable). */
export function showCustom(geojson) {
  clearCustom();
  customLayer = L.geoJSON(geojson, {
    pane: "custom",
    interactive: false,
    pmIgnore: true,
    style: { color: "#6a1b9a", weight: 3, fillOpacity: 0.15, dashArray: "6 4" },
  }).addTo(ui.map);
}

/** The centre of your own area's outline on the map (null when it has none). */
export function customCentre() {
  return customLayer?.getBounds().isValid() ? customLayer.getBounds().getCenter() : null;
}

/** Fit the view to your own area, if it has a shape on the map. */
export function fitCustom() {
  if (customLayer?.getBounds().isValid()) ui.map.fitBounds(customLayer.getBounds(), { maxZoom: 13, ...fitPadding() });
}
