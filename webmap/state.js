// The page's one state object, the map's objects, and the messages line: shared by the map's modules.
// `actions` holds the few entry points modules call across (filled in by app.js), so imports point one way.

import { ApiError } from "./api.js";
import { forPeople } from "./messages.js";

export const $ = (sel) => document.querySelector(sel);

export const state = {
  region: null,
  info: null,
  start: null,
  end: null,
  perHa: false,
  layers: null, // the keys of the map layers shown, when not the defaults (for the address)
  boundaries: null, // GeoJSON FeatureCollection
  summary: null, // {boundaries:[...], byId, breaks} of the current period
  summaryLoading: false,
  selection: null, // {kind: "boundary", id} | {kind: "custom", geojson | file, name}
  report: null, // the report shown
  compare: null, // B of "Compare side by side": {id (null: the same place as A), start, end} (compare-view.js)
  token: 0,
};

/** Leaflet objects of the page (one map). */
export const ui = {
  map: null,
  legend: null,
  tiles: null,
  search: null,
};

/** Cross-module entry points: `selectBoundary(id, options)`, set by app.js at start. */
export const actions = {};

export function showError(err) {
  const msg = err instanceof ApiError || err instanceof Error ? err.message : String(err);
  $("#alert-text").textContent = forPeople(msg);
  $("#alert").hidden = false;
  if (!(err instanceof ApiError)) console.warn(err);
}

export function clearError() {
  $("#alert").hidden = true;
  $("#alert-text").textContent = "";
}

export function busy(on) {
  document.body.classList.toggle("busy", on);
  $("#panel").setAttribute("aria-busy", on ? "true" : "false");
}
