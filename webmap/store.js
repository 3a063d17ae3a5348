// Reports of your own polygons live only in the browser: the printable page reads them from localStorage,
// and the CSV download is built here (one row per inventory row, like `learn inventory --format tidy-csv`).

const PREFIX = "learn-report-";

export function storeReport(report) {
  const key = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
  try {
    // keep the 10 newest
    const old = Object.keys(localStorage).filter((k) => k.startsWith(PREFIX)).sort();
    for (const k of old.slice(0, Math.max(0, old.length - 9))) localStorage.removeItem(k);
    localStorage.setItem(PREFIX + key, JSON.stringify(report));
  } catch {
    /* storage full or disabled: the printable page will say so */
  }
  return key;
}

export function loadStoredReport(key) {
  const text = localStorage.getItem(PREFIX + key);
  return text ? JSON.parse(text) : null;
}

function csvField(v) {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function customCsv(report) {
  const cols = ["category", "type", "area_ha", "emissions_t_co2e_per_yr", "removals_t_co2e_per_yr", "net_t_co2e_per_yr"];
  const head = ["boundary_id", "boundary_name", "start", "end", ...cols];
  const b = report.boundary || {};
  const p = report.period || {};
  const lines = (report.inventory || []).map((r) =>
    [b.id, b.name, p.start, p.end, ...cols.map((c) => r[c])].map(csvField).join(","),
  );
  return [head.join(","), ...lines].join("\n") + "\n";
}
