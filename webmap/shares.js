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
  if (!shown.length || data.total_t_co2e_per_yr === 0) {
    return `<div class="share-side" data-side="${key}"><div class="share-title">${title}: none</div></div>`;
  }
  // A negative emission (negative emission factors) lowers its side's total: it has no segment, only a list entry.
  const bar = shown
    .filter((r) => r.percent > 0)
    .map(
      (r) => `<span class="share-seg" style="width:${r.percent}%;background:${rowColor(r)}"
        title="${esc(`${rowLabel(r)}: ${fmtPercent(r.percent)}`)}"></span>`,
    )
    .join("");
  const items = [...shown]
    .sort((a, b) => Math.abs(b.percent ?? 0) - Math.abs(a.percent ?? 0))
    .map(
      (r) => `<li data-category="${esc(r.category)}" data-type="${esc(r.type)}" data-percent="${esc(r.percent)}">
        <span class="swatch" style="background:${rowColor(r)}"></span>
        <span class="share-name">${esc(rowLabel(r))}</span>
        <span class="share-pct">${esc(fmtPercent(r.percent))}</span>
        <span class="share-val">${esc(scale.fmt(scale.value(r.t_co2e_per_yr)))}</span></li>`,
    )
    .join("");
  const total = scale.fmt(scale.value(data.total_t_co2e_per_yr));
  return `<div class="share-side" data-side="${key}">
    <div class="share-title">${title} <span class="muted">(${esc(total)} ${scale.unit} = 100 %)</span></div>
    <div class="share-bar" aria-hidden="true">${bar}</div>
    <ul class="share-list" aria-label="${esc(title)} by inventory row">${items}</ul></div>`;
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
