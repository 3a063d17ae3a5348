// What was estimated (issue 26 item 8): a total that adds up nothing but rows not estimated reads "not
// estimated" (grey), never 0. A report's totals sum the rows that could be computed; `totals.not_estimated` names
// the rows left out ("Category — Type", IPCC "NE"). A side (gross emissions or gross removals) is not estimated
// when rows of that side are left out and the rows estimated add up to nothing; the net is not estimated when
// both sides are. A partial total whose estimated rows do add up to something keeps its number (with the
// "Partial total" note and the dashed outline).

export const NOT_ESTIMATED = "not estimated";

/** The inventory rows on the removals side; every other row is on the emissions side (negative emission
 * factors, e.g. insects, still make an emission row). */
const REMOVAL_ROWS = new Set([
  "Forest Change — Reforestation (Non-Forest to Forest)",
  "Forest Remaining Forest — Undisturbed",
  "Trees Outside Forest — Canopy maintained/gained",
]);

/** "Forest Remaining Forest — Undisturbed (in part: …)" → the row's own name. */
const baseName = (name) => String(name).replace(/ \(in part:.*$/, "");

/** The side of a not-estimated row's name: "removals" or "emissions". */
export const sideOf = (name) => (REMOVAL_ROWS.has(baseName(name)) ? "removals" : "emissions");

/**
 * Which totals are not estimated, from a report's `totals` or a summary row (`totals_complete`,
 * `not_estimated`, the gross totals): { emissions, removals, net } booleans (all false when complete).
 */
export function missingOf(t) {
  const none = { emissions: false, removals: false, net: false };
  if (!t) return none;
  const complete = t.complete ?? t.totals_complete;
  if (complete !== false) return none;
  const names = t.not_estimated || [];
  const sideMissing = (side, value) => !value && names.some((n) => sideOf(n) === side);
  const emissions = sideMissing("emissions", t.gross_emissions_t_co2e_per_yr);
  const removals = sideMissing("removals", t.gross_removals_t_co2e_per_yr);
  // Nothing estimated adds up to anything: the net is not a number either (a land-cover-only region).
  const nothing = !t.gross_emissions_t_co2e_per_yr && !t.gross_removals_t_co2e_per_yr && names.length > 0;
  return { emissions: emissions || nothing, removals: removals || nothing, net: nothing };
}

/** A summary row's net as shaded: null (grey, "not estimated") when nothing of it was estimated. */
export const netOrNull = (row, value) => (missingOf(row).net ? null : value);
