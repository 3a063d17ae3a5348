// A report of your own polygon that the server could not store (no area id): the printable page reads it from
// this browser's localStorage. Stored areas have links and server downloads instead (selection.js).

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
