// The page's state in its address: region, jurisdiction or stored area (your own, by its server id), and period
// (audit D22, D17), the view settings: per hectare, the map layers shown (issue 26 item 3), and B of a comparison
// (issue 26 item 7): `compare` (B's jurisdiction; empty: the same place as A), `compare_start`, `compare_end`.

import { readPlanParams, writePlanParams } from "./plan-url.js";
import { state } from "./state.js";

export function readUrl() {
  const p = new URLSearchParams(location.search);
  const int = (k) => (p.get(k) && Number.isFinite(Number(p.get(k))) ? Number(p.get(k)) : null);
  return {
    region: p.get("region"),
    boundary: p.get("boundary"),
    area: p.get("area"),
    start: int("start"),
    end: int("end"),
    // view settings (issue 26 item 3): per hectare, the map layers shown (when not the defaults)
    perHa: p.get("perha") === "1",
    layers: p.has("layers") ? p.get("layers").split(",").filter(Boolean) : null,
    compare: p.has("compare") ? p.get("compare") : null,
    compareStart: int("compare_start"),
    compareEnd: int("compare_end"),
    plan: readPlanParams(p), // the Plan tab and its scenario (plan-url.js)
  };
}

/** Put the state in the address: a new history entry when it changed (Back returns to the previous jurisdiction
 * or period, audit D22), the same entry otherwise. */
export function writeUrl({ replace = false } = {}) {
  const p = new URLSearchParams();
  if (state.region) p.set("region", state.region);
  if (state.selection?.kind === "boundary") p.set("boundary", state.selection.id);
  if (state.selection?.kind === "custom" && state.selection.areaId) p.set("area", state.selection.areaId);
  if (state.start !== null) p.set("start", state.start);
  if (state.end !== null) p.set("end", state.end);
  if (state.perHa) p.set("perha", "1");
  if (state.layers) p.set("layers", state.layers.join(","));
  if (state.compare) {
    p.set("compare", state.compare.id ?? "");
    p.set("compare_start", state.compare.start);
    p.set("compare_end", state.compare.end);
  }
  writePlanParams(p);
  const url = `${location.pathname}?${p}`;
  if (url === `${location.pathname}${location.search}`) return;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
}
