// Names of what the map downloads: file names as the server gives them, the name of an uploaded feature.

/** learn_<id>_<name>_<start>_<end>: the file names the server gives its downloads (api/routers/inventory.py). */
export function downloadBase(id, name, start, end) {
  const safeId = String(id).replace(/[^\p{L}\p{N}._-]/gu, "_");
  const safe = String(name ?? "")
    .replace(/[^A-Za-z0-9.-]+/g, "_")
    .replace(/^[_.]+|[_.]+$/g, "")
    .slice(0, 60);
  return ["learn", safeId, ...(safe && safe !== safeId ? [safe] : []), start, end].join("_");
}

/** learn_<name>_<start>_<end>: the file names of a stored area's downloads (api/routers/areas.py). */
export function areaDownloadBase(name, start, end) {
  const safe = String(name ?? "")
    .replace(/[^A-Za-z0-9.-]+/g, "_")
    .replace(/^[_.]+|[_.]+$/g, "")
    .slice(0, 60);
  return ["learn", safe || "area", start, end].join("_");
}

/** The uploaded feature's own name (a "name" property), if it has one, to title the report. */
export function featureName(g) {
  const f = g?.type === "FeatureCollection" && g.features?.length === 1 ? g.features[0] : g;
  const n = f?.properties?.name ?? f?.properties?.NAME;
  return typeof n === "string" && n.trim() ? n.trim() : null;
}
