// Headline shares next to the cards (issue 14): what makes up gross emissions and gross removals, as two stacked
// bars with a labelled list (the text equivalent). The numbers are the report's `shares` (learn/report/shares.py:
// each inventory row's part of its side's gross total); nothing is recomputed here but the per-hectare scale.

import { esc, fmt } from "./format.js";

/** A colour per inventory row: reds for land-use change, browns for disturbance, greens for removals. */
export const ROW_COLORS = {
  "Forest Change|To Settlement": "#b2182b",
  "Forest Change|To Cropland": "#d6604d",
  "Forest Change|To Grassland": "#f4a582",
  "Forest Change|To Wetland": "#9e6b8f",
  "Forest Change|To Other": "#878787",
  "Forest Remaining Forest|Fire": "#e66101",
  "Forest Remaining Forest|Insect/Disease": "#8c510a",
  "Forest Remaining Forest|Harvest/Other": "#5e3c99",
  "Trees Outside Forest|Tree canopy loss": "#dfc27d",
  "Forest Remaining Forest|Undisturbed": "#1b7837",
  "Forest Change|Reforestation (Non-Forest to Forest)": "#5aae61",
  "Trees Outside Forest|Canopy maintained/gained": "#80cdc1",
};
const OTHER = "#bababa";

export const rowColor = (r) => ROW_COLORS[`${r.category}|${r.type}`] ?? OTHER;

/** "Forest Change — To Settlement": the report's own row name, as in totals.not_estimated. */
const rowLabel = (r) => `${r.category} — ${r.type}`;

const fmtPercent = (p) => `${fmt(p, p !== 0 && Math.abs(p) < 1 ? 1 : 0)} %`;

function side(key, title, data, scale, missing) {
  if (!data) return "";
  if (missing) {
    return `<div class="share-side" data-side="${key}"><div class="share-title">${title}: <span class="not-estimated">not estimated</span></div></div>`;
  }
  const shown = data.rows.filter((r) => r.t_co2e_per_yr !== 0);
  // A negative emission (negative emission factors, e.g. insects) is no share of gross emissions: it is an
  // adjustment that lowers them, listed under the bar with its own words (issue 26 item 3). The shares are then
  // parts of the emissions before adjustments (they add up to 100 %).
  const negative = key === "emissions" ? shown.filter((r) => r.t_co2e_per_yr < 0) : [];
  const parts = shown.filter((r) => !negative.includes(r));
  const before = parts.reduce((a, r) => a + r.t_co2e_per_yr, 0);
  const pct = (r) => (negative.length ? (before ? (100 * r.t_co2e_per_yr) / before : null) : r.percent);
  if (!parts.length || before === 0) {
    return `<div class="share-side" data-side="${key}"><div class="share-title">${title}: none</div>${adjustments(negative, scale)}</div>`;
  }
  const bar = parts
    .filter((r) => pct(r) > 0)
    .map(
      (r) => `<span class="share-seg" style="width:${pct(r)}%;background:${rowColor(r)}"
        title="${esc(`${rowLabel(r)}: ${fmtPercent(pct(r))}`)}"></span>`,
    )
    .join("");
  const items = [...parts]
    .sort((a, b) => Math.abs(pct(b) ?? 0) - Math.abs(pct(a) ?? 0))
    .map(
      (r) => `<li data-category="${esc(r.category)}" data-type="${esc(r.type)}" data-percent="${esc(pct(r))}">
        <span class="swatch" style="background:${rowColor(r)}"></span>
        <span class="share-name">${esc(rowLabel(r))}</span>
        <span class="share-pct">${esc(fmtPercent(pct(r)))}</span>
        <span class="share-val">${esc(scale.fmt(scale.value(r.t_co2e_per_yr)))}</span></li>`,
    )
    .join("");
  const total = scale.fmt(scale.value(negative.length ? before : data.total_t_co2e_per_yr));
  const hundred = negative.length ? "= 100 % before adjustments" : "= 100 %";
  return `<div class="share-side" data-side="${key}">
    <div class="share-title">${title} <span class="muted">(${esc(total)} ${scale.unit} ${hundred})</span></div>
    <div class="share-bar" aria-hidden="true">${bar}</div>
    <ul class="share-list" aria-label="${esc(title)} by inventory row">${items}</ul>${adjustments(negative, scale, data, title)}</div>`;
}

/** The negative emission rows: "Adjustment: … −20 t CO₂e/yr (a negative emission factor), gross emissions after
 * adjustments 1,234". */
function adjustments(rows, scale, data, title) {
  if (!rows.length) return "";
  const items = rows
    .map(
      (r) => `<li class="share-adjustment" data-category="${esc(r.category)}" data-type="${esc(r.type)}" data-value="${esc(r.t_co2e_per_yr)}">
        <span class="share-name">Adjustment: ${esc(rowLabel(r))}</span>
        <span class="share-val">${esc(scale.fmt(scale.value(r.t_co2e_per_yr)))}</span></li>`,
    )
    .join("");
  const after = data ? ` ${esc(title)} after adjustments: ${esc(scale.fmt(scale.value(data.total_t_co2e_per_yr)))} ${scale.unit}.` : "";
  return `<ul class="share-adjustments" aria-label="Adjustments to ${esc(title ?? "gross emissions")}">${items}</ul>
    <p class="share-adjustment-note muted">Negative emission factors (the factor table's) lower gross emissions:
      shown as adjustments, not as a share.${after}</p>`;
}

/** The shares block (nothing for a report without `shares`, e.g. one stored before they existed). */
export function sharesBlock(shares, scale, partial, missing = {}) {
  if (!shares) return "";
  const note = partial ? " of the estimated part (the totals are partial)" : "";
  return `<section class="shares" aria-label="Where the emissions and removals come from">
    <h3>Where the emissions and removals come from${esc(note)}</h3>
    ${side("emissions", "Gross emissions", shares.gross_emissions, scale, missing.emissions)}
    ${side("removals", "Gross removals", shares.gross_removals, scale, missing.removals)}
  </section>`;
}
