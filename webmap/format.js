// Number formatting for people (thousands separators); the JSON keeps full precision.

const formatters = new Map();

function formatter(digits) {
  if (!formatters.has(digits)) {
    formatters.set(
      digits,
      new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }),
    );
  }
  return formatters.get(digits);
}

export const NOT_COMPUTED = "—";

/** `value` with `digits` decimals and thousands separators; null/undefined → an em dash. */
export function fmt(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return NOT_COMPUTED;
  const s = formatter(digits).format(value);
  return s === "-0" || /^-0\.0+$/.test(s) ? s.slice(1) : s;
}

export const fmtFlux = (v) => fmt(v, 0); // t CO2e/yr
export const fmtFluxHa = (v) => fmt(v, 2); // t CO2e/ha/yr
export const fmtArea = (v) => fmt(v, 1); // ha
export const fmtPct = (v) => (v === null || v === undefined ? NOT_COMPUTED : `${fmt(v, 1)} %`);

/** Escape text for innerHTML templates. */
export function esc(value) {
  return String(value ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}

/** A table cell with a number: formatted text, the full value in data-value, "not computed" tooltip for null. */
export function numCell(value, format = fmtFlux, tag = "td") {
  const missing = value === null || value === undefined;
  const attrs = missing ? ' class="num missing" title="not computed"' : ` class="num" data-value="${esc(value)}"`;
  return `<${tag}${attrs}>${esc(format(value))}</${tag}>`;
}
