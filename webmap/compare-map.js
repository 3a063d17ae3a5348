// The comparison on the map (issue 26 item 7): A keeps the selection's black outline, B (another jurisdiction)
// gets a blue one, each shape carries an "A" / "B" tag, and a key in the map's corner says which is which.

import { COMPARE_A, COMPARE_B } from "./compare-colors.js";
import { esc } from "./format.js";
import { layerById } from "./shapes.js";
import { ui } from "./state.js";

let tags = null; // L.LayerGroup of the "A" / "B" tags
let key = null; // the key control

function keyControl() {
  const Control = L.Control.extend({
    options: { position: "bottomleft" },
    onAdd() {
      const div = L.DomUtil.create("div", "compare-key");
      div.setAttribute("role", "note");
      div.setAttribute("aria-label", "Comparison key");
      L.DomEvent.disableClickPropagation(div);
      return div;
    },
  });
  return new Control();
}

const tag = (latlng, letter, name) =>
  L.tooltip({ permanent: true, direction: "center", className: `compare-tag compare-tag-${letter.toLowerCase()}`, interactive: false })
    .setLatLng(latlng)
    .setContent(`<span aria-hidden="true">${letter}</span><span class="visually-hidden">${letter}: ${esc(name)}</span>`);

/** Show the comparison on the map: `a` and `b` are {id (a jurisdiction's, or null), name, period, latlng (your
 * own area's centre, when A is one)}; B without an id is the same place as A (another period). */
export function showCompareOnMap(a, b) {
  clearCompareOnMap();
  tags = L.layerGroup().addTo(ui.map);
  const centre = (side) => side.latlng ?? layerById.get(String(side.id))?.getBounds().getCenter();
  const aAt = centre(a);
  if (aAt) tags.addLayer(tag(aAt, "A", a.name));
  const bAt = b.id ? centre(b) : null;
  if (bAt) tags.addLayer(tag(bAt, "B", b.name));
  key = keyControl().addTo(ui.map);
  const line = (letter, side, style) =>
    `<li class="key-${letter.toLowerCase()}"><span class="key-line" style="${style}"></span>
      <strong>${letter}</strong> ${esc(side.name)} <span class="muted">${esc(side.period)}</span></li>`;
  const aStyle = a.custom ? "border-top: 3px dashed #6a1b9a" : `border-top: 3px solid ${COMPARE_A}`;
  const bStyle = b.id ? `border-top: 4px solid ${COMPARE_B}` : aStyle;
  key.getContainer().innerHTML = `<p class="key-title">Comparing</p><ul>${line("A", a, aStyle)}${line("B", b, bStyle)}</ul>`;
}

export function clearCompareOnMap() {
  tags?.remove();
  tags = null;
  key?.remove();
  key = null;
}
