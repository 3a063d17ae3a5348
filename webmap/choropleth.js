// Shading of jurisdictions by net flux: a diverging scale (sinks green, sources red) with class breaks from
// the terciles of |value|, and a legend control.

import { esc, fmt } from "./format.js";

export const SINK = ["#1a9850", "#66bd63", "#b8e186"]; // strongest → weakest
export const SOURCE = ["#fee08b", "#f46d43", "#d73027"]; // weakest → strongest
export const NO_DATA = "#bdbdbd"; // not estimated (nothing of the total could be computed), or no value
export const ZERO = "#ffffbf"; // a net of exactly 0 (estimated): neither sink nor source
export const PARTIAL_DASH = "5 4"; // outline of jurisdictions whose totals leave out rows not estimated

/** Round to 2 significant digits, so legend breaks read well. */
function nice(v) {
  if (!v) return 0;
  const p = 10 ** (Math.floor(Math.log10(Math.abs(v))) - 1);
  return Math.round(v / p) * p;
}

/** Break points [t1, t2] (|value|) splitting the non-zero magnitudes into three classes (a net of 0 and one not
 * estimated have their own classes). */
export function breaksFor(values) {
  const mags = values.filter((v) => v !== null && v !== undefined && Number.isFinite(v) && v !== 0).map(Math.abs);
  if (!mags.length) return [0, 0];
  mags.sort((a, b) => a - b);
  const q = (f) => mags[Math.min(mags.length - 1, Math.floor(f * mags.length))];
  let t1 = nice(q(1 / 3));
  let t2 = nice(q(2 / 3));
  if (t2 <= t1) t2 = t1 * 2 || 1;
  return [t1, t2];
}

export function colorFor(value, [t1, t2]) {
  if (value === null || value === undefined || !Number.isFinite(value)) return NO_DATA;
  if (value === 0) return ZERO;
  const m = Math.abs(value);
  const k = m >= t2 ? 2 : m >= t1 ? 1 : 0;
  return value < 0 ? SINK[2 - k] : SOURCE[k];
}

/** Decimals enough for the smaller break not to read 0 ("−0 to 0" is no class: issue 26 item 8). */
function digitsFor(t1, perHa) {
  let d = perHa ? 2 : 0;
  while (t1 > 0 && d < 6 && Number(fmt(t1, d).replace(/,/g, "")) === 0) d += 1;
  return d;
}

/** The legend's classes [colour, label]: only those some jurisdiction is painted in, so a degenerate range (all 0,
 * all one sign, nothing estimated) has no empty or "−0" classes. */
export function legendRows([t1, t2], values, perHa) {
  const d = digitsFor(t1, perHa);
  const all = [
    [SINK[0], `≤ −${fmt(t2, d)}`],
    [SINK[1], `−${fmt(t2, d)} to −${fmt(t1, d)}`],
    [SINK[2], `−${fmt(t1, d)} to 0`],
    [ZERO, "0"],
    [SOURCE[0], `0 to ${fmt(t1, d)}`],
    [SOURCE[1], `${fmt(t1, d)} to ${fmt(t2, d)}`],
    [SOURCE[2], `≥ ${fmt(t2, d)}`],
    [NO_DATA, "not estimated"],
  ];
  const used = new Set(values.map((v) => colorFor(v, [t1, t2])));
  return all.filter(([c]) => used.has(c));
}

export function legendControl() {
  const Control = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd() {
      const div = L.DomUtil.create("div", "leaflet-bar map-legend");
      div.setAttribute("role", "group");
      div.setAttribute("aria-label", "Legend of the jurisdiction shading");
      L.DomEvent.disableClickPropagation(div);
      return div;
    },
  });
  const control = new Control();
  // A <details>: collapsible, open on wide screens and closed on a phone, where it would cover much of the map
  // (issue 26 item 3); its state is kept across updates.
  let open = window.innerWidth > 900;
  control.update = ({ breaks, values = [], perHa, start, end, partial = false, loading = false }) => {
    const div = control.getContainer();
    const was = div.querySelector("details.legend-details");
    if (was) open = was.open;
    const title = `Net flux ${esc(start)}–${esc(end)}`;
    let body;
    if (loading) {
      // a new period computing: its years, no colours of the old one (audit D12)
      body = `<small class="legend-computing"><span class="spinner" aria-hidden="true"></span> computing…</small>`;
    } else {
      const rows = legendRows(breaks, values, perHa);
      body = `<small>${perHa ? "t CO₂e/ha/yr" : "t CO₂e/yr"} (− sink, + source)</small>
      <ul class="legend-list">${rows
        .map(([c, l]) => `<li><span class="swatch" style="background:${c}"></span>${esc(l)}</li>`)
        .join("")}</ul>${
        partial
          ? `<p class="legend-partial"><svg width="22" height="10" aria-hidden="true"><line x1="0" y1="5" x2="22" y2="5"
            stroke="#333" stroke-width="2" stroke-dasharray="${PARTIAL_DASH}"/></svg> partial total (rows not estimated)</p>`
          : ""
      }`;
    }
    div.innerHTML = `<details class="legend-details"${open ? " open" : ""}><summary class="legend-title">${title}</summary>
      ${body}</details>`;
  };
  return control;
}
