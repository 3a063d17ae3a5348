// Raster tile layers served by the API (/tiles/{region}/{layer}/{z}/{x}/{y}.png) as a Leaflet control:
// a checkbox, an opacity slider and a legend (from the API's region description) for each layer.

import { api } from "./api.js";
import { esc } from "./format.js";

let uid = 0;

/** 30 m pixels: at zoom 16 one is ~12 screen pixels; closer shows nothing more (audit D20). */
export const MAX_ZOOM = 16;

/**
 * A tile layer that always asks the server for an integer zoom. The map zooms in quarter steps (zoomSnap 0.25), and
 * Leaflet 1.9.4's GridLayer.redraw() — run by setUrl() on a period change — took the map's unrounded zoom as the
 * tile zoom, so tiles were asked at e.g. z=10.25 and the server answered 422 (audit D1).
 */
export const IntegerZoomTileLayer = L.TileLayer.extend({
  _clampZoom(zoom) {
    return L.TileLayer.prototype._clampZoom.call(this, Math.round(zoom));
  },
});

/** The layers to offer for a region: land cover twice (start and end year), other year layers once. */
function entriesFor(info) {
  const entries = [];
  for (const layer of info.tile_layers || []) {
    if (layer.kind === "year" && layer.id === "land_cover") {
      entries.push({ layer, which: "start", defaultOn: false });
      entries.push({ layer, which: "end", defaultOn: true });
    } else {
      entries.push({ layer, which: layer.kind === "year" ? "snap" : "period", defaultOn: false });
    }
  }
  return entries;
}

function yearsOf(info, layer) {
  if (layer.id === "land_cover") return info.years || [];
  if (/canopy/.test(layer.id) && info.canopy_years?.length) return info.canopy_years;
  return info.years || [];
}

/** The year of `years` closest to `target`, preferring earlier years on ties. */
export function nearestYear(years, target) {
  let best = null;
  for (const y of years) if (best === null || Math.abs(y - target) < Math.abs(best - target)) best = y;
  return best;
}

function paramsFor(entry, info, start, end) {
  if (entry.which === "start") return { year: start };
  if (entry.which === "end") return { year: end };
  if (entry.which === "snap") return { year: nearestYear(yearsOf(info, entry.layer), end) };
  return { start, end };
}

function labelFor(entry, params) {
  const t = entry.layer.title || entry.layer.id;
  if (params.year !== undefined) {
    const which = entry.which === "start" ? "year 1, " : entry.which === "end" ? "year 2, " : "";
    return `${t} (${which}${params.year})`;
  }
  return `${t} (${params.start}–${params.end})`;
}

function legendHtml(legend) {
  if (!legend || !legend.length) return "";
  return `<ul class="legend-list">${legend
    .map(
      (l) =>
        `<li title="${esc(l.label ?? l.value)}"><span class="swatch" style="background:${esc(l.color)}"></span><span class="legend-label">${esc(l.label ?? l.value)}</span></li>`,
    )
    .join("")}</ul>`;
}

/**
 * Build the control. Returns {setPeriod(start, end), remove(), layers} — `layers` maps an entry key
 * (e.g. "land_cover:end", "disturbance:period") to its Leaflet tile layer.
 */
/** `shown`: the keys of the layers to show (from the address), instead of each layer's default; `onChange`: called
 * when a layer is switched on or off (the address follows: issue 26 item 3). */
export function createTileLayerControl(
  map, region, info, start, end, { online = false, overlays = [], shown = null, onChange = () => {} } = {},
) {
  const bounds = info.bounds ? L.latLngBounds([info.bounds[1], info.bounds[0]], [info.bounds[3], info.bounds[2]]) : null;
  const entries = entriesFor(info);
  const layers = {};
  const Control = L.Control.extend({
    options: { position: "topright" },
    onAdd() {
      const div = L.DomUtil.create("div", "leaflet-bar layer-control");
      // open only on wide screens, where it leaves most of the map free (audit D18); a click away elsewhere
      const open = window.innerWidth >= 1600 ? " open" : "";
      div.innerHTML = `<details${open}><summary>Map layers</summary><div class="layer-entries"></div></details>`;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      // never taller than the map, whatever the screen (audit D6): it scrolls inside instead
      const fit = () => (div.style.maxHeight = `${Math.max(120, map.getSize().y - 70)}px`);
      fit();
      map.on("resize", fit);
      return div;
    },
  });
  const control = new Control();
  control.addTo(map);
  const holder = control.getContainer().querySelector(".layer-entries");

  // `target`: a Leaflet layer, or {show(), hide(), setOpacity(v), options: {opacity}} for non-tile overlays.
  const defaults = new Map();
  const boxes = new Map();
  const addEntry = (key, title, tileLayer, legend, defaultOn) => {
    const n = ++uid;
    defaults.set(key, Boolean(defaultOn));
    const on = shown ? shown.includes(key) : defaultOn;
    const row = document.createElement("div");
    row.className = "layer-entry";
    row.dataset.layer = key;
    row.innerHTML = `
      <div class="row"><input type="checkbox" id="layer-${n}" ${on ? "checked" : ""}>
        <label for="layer-${n}" class="layer-title">${esc(title)}</label></div>
      <div class="row opacity"><label for="opacity-${n}">Opacity</label>
        <input type="range" id="opacity-${n}" min="0" max="1" step="0.05" value="${tileLayer.options.opacity}"
          aria-label="Opacity of ${esc(title)}"></div>
      <div class="legend" ${on ? "" : "hidden"}>${legendHtml(legend)}</div>`;
    holder.appendChild(row);
    const box = row.querySelector('input[type="checkbox"]');
    const slider = row.querySelector('input[type="range"]');
    const legendDiv = row.querySelector(".legend");
    box.addEventListener("change", () => {
      if (tileLayer.show) tileLayer[box.checked ? "show" : "hide"]();
      else if (box.checked) tileLayer.addTo(map);
      else tileLayer.remove();
      legendDiv.hidden = !box.checked;
      onChange();
    });
    boxes.set(key, box);
    slider.addEventListener("input", () => tileLayer.setOpacity(Number(slider.value)));
    if (on && !tileLayer.show) tileLayer.addTo(map);
    if (tileLayer.show && !on) tileLayer.hide();
    return row;
  };
  const details = control.getContainer().querySelector("details");

  for (const o of overlays) addEntry(o.key, o.title, o, o.legend, o.on);

  if (online) {
    const osm = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      opacity: 1,
      zIndex: 1,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    });
    layers.osm = osm;
    addEntry("osm", "OpenStreetMap basemap (online)", osm, null, false);
  }

  // A period layer's label comes from the server's TileJSON name, which says the years actually drawn
  // (canopy change uses the canopy years nearest to the period, e.g. "Canopy change 2011–2013 (nearest to
  // 2001–2004)"); the local label stands until it arrives, and a reply for an older period is dropped.
  const setLabel = (row, text) => {
    row.querySelector(".layer-title").textContent = text;
    row.querySelector('input[type="range"]').setAttribute("aria-label", `Opacity of ${text}`);
  };
  const serverLabel = (entry, row, params) => {
    if (entry.which !== "period") return;
    const token = (row.dataset.labelToken = String(Number(row.dataset.labelToken || 0) + 1));
    api
      .tileJson(region, entry.layer.id, params)
      .then((tj) => {
        if (row.dataset.labelToken === token && tj?.name) setLabel(row, tj.name);
      })
      .catch(() => {}); // keep the local label: the tiles themselves report their errors
  };

  const rows = [];
  entries.forEach((entry, i) => {
    const params = paramsFor(entry, info, start, end);
    const key = `${entry.layer.id}:${entry.which}`;
    const tileLayer = new IntegerZoomTileLayer(api.tileUrl(region, entry.layer.id, params), {
      opacity: 0.75, // one default for every layer: year 1 and year 2 look alike where nothing changed (D18)
      zIndex: 10 + i,
      bounds: bounds || undefined,
      maxZoom: MAX_ZOOM,
      className: `tiles-${entry.layer.id}`,
      attribution: i === 0 ? "LEARN Navigator data layers" : undefined,
    });
    layers[key] = tileLayer;
    const row = addEntry(key, labelFor(entry, params), tileLayer, entry.layer.legend, entry.defaultOn);
    rows.push({ entry, row });
    serverLabel(entry, row, params);
  });

  return {
    layers,
    /** True while the layer list is open (it covers the top right of the map). */
    isOpen: () => details.open,
    /** The keys of the layers shown, or null when they are the defaults (the address then says nothing). */
    shownKeys() {
      const keys = [...boxes].filter(([, b]) => b.checked).map(([k]) => k);
      return [...boxes].every(([k, b]) => b.checked === defaults.get(k)) ? null : keys;
    },
    onToggle: (fn) => details.addEventListener("toggle", fn),
    setPeriod(newStart, newEnd) {
      for (const { entry, row } of rows) {
        const params = paramsFor(entry, info, newStart, newEnd);
        layers[`${entry.layer.id}:${entry.which}`].setUrl(api.tileUrl(region, entry.layer.id, params));
        setLabel(row, labelFor(entry, params));
        serverLabel(entry, row, params);
      }
    },
    remove() {
      for (const l of Object.values(layers)) l.remove();
      for (const o of overlays) o.show?.();
      control.remove();
    },
  };
}
