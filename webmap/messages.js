// Messages for the people using the map, not for developers (audit D14): the server's hints that name API routes
// or command-line flags are left out, a few messages are reworded, long lists are cut; and uploads whose
// coordinates are projected or have latitude and longitude swapped are named as such before they are sent.

// A parenthesis (one level of nesting allowed) that mentions a route or a command-line flag.
const DEVELOPER_HINT = /\s*\((?:[^()]|\([^()]*\))*?(?:--[a-z]|\bGET \/|\bPOST \/|\/api\/)(?:[^()]|\([^()]*\))*\)/gi;

const REWORDS = [
  [
    /^the polygon lies outside the data of region '([^']+)'.*$/i,
    "This area lies outside the map's data (region $1). Draw or upload an area inside the coloured part of the map; ⌂ zooms back to it.",
  ],
  [/^start year (\d+) must be before end year (\d+)/i, "The first year ($1) must come before the second ($2)"],
];

/** `message` as shown on the page. */
export function forPeople(message) {
  let m = String(message ?? "").replace(DEVELOPER_HINT, "");
  for (const [pattern, text] of REWORDS) m = m.replace(pattern, text);
  // a list of every ID and name of a big region would fill the screen: keep its first items
  m = m.replace(/\[([^\]]{160,})\]/g, (_, inner) => {
    const items = inner.split(",");
    return `[${items.slice(0, 6).join(",")}, … ${items.length - 6} more]`;
  });
  m = m.trim();
  return m ? m[0].toUpperCase() + m.slice(1) : m;
}

function positions(geometry, out = []) {
  if (!geometry) return out;
  if (geometry.type === "GeometryCollection") {
    for (const g of geometry.geometries ?? []) positions(g, out);
    return out;
  }
  const walk = (c) => {
    if (Array.isArray(c) && typeof c[0] === "number") out.push(c);
    else if (Array.isArray(c)) c.forEach(walk);
  };
  walk(geometry.coordinates);
  return out;
}

function geometriesOf(g) {
  if (!g) return [];
  if (g.type === "FeatureCollection") return (g.features ?? []).map((f) => f.geometry);
  if (g.type === "Feature") return [g.geometry];
  return [g];
}

/**
 * Why a GeoJSON object cannot be in longitude/latitude over the region (bounds [w, s, e, n]), or null: projected
 * coordinates (metres, feet) or latitude and longitude swapped.
 */
export function geojsonProblem(geojson, bounds) {
  const pts = geometriesOf(geojson).flatMap((g) => positions(g));
  if (!pts.length) return null; // the server names empty or non-polygon files
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  if (x0 < -180 || x1 > 180 || y0 < -90 || y1 > 90) {
    return (
      "its coordinates are not longitudes and latitudes (they look projected, e.g. in metres). GeoJSON must be in " +
      "WGS 84 (EPSG:4326): export it again in that system, or upload a zipped shapefile with its .prj or a " +
      "GeoPackage, which say their coordinate system."
    );
  }
  if (bounds) {
    const [w, s, e, n] = bounds;
    const overlaps = (a0, a1, b0, b1) => a0 <= b1 && b0 <= a1;
    const direct = overlaps(x0, x1, w, e) && overlaps(y0, y1, s, n);
    const swapped = overlaps(y0, y1, w, e) && overlaps(x0, x1, s, n);
    if (!direct && swapped) {
      return "its latitude and longitude look swapped. GeoJSON lists longitude first ([longitude, latitude]); export it again in that order.";
    }
  }
  return null;
}
