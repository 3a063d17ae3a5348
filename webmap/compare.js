// Side-by-side comparison of two reports (two periods and/or two jurisdictions): a small table A | B | B − A.

import { missingOf } from "./estimated.js";
import { esc, fmtArea, fmtFlux, fmtFluxHa, fmtPct, numCell } from "./format.js";

const diff = (a, b) => (a === null || a === undefined || b === null || b === undefined ? null : b - a);
/** (B − A) / |A| in %, null when A is 0 or unknown (audit D25). */
const pctChange = (a, b) => (diff(a, b) === null || !a ? null : (100 * (b - a)) / Math.abs(a));
const fmtChange = (v) => (v === null || v === undefined ? "—" : `${v > 0 ? "+" : ""}${fmtPct(v)}`);
/** A report's total as compared: null ("—") when nothing of it was estimated, never 0 (issue 26 item 8). */
const total = (r, key, side) => (missingOf(r.totals)[side] ? null : r.totals?.[key]);
const perHa = (r) => (r.boundary?.area_ha && total(r, "net_t_co2e_per_yr", "net") !== null ? r.totals.net_t_co2e_per_yr / r.boundary.area_ha : null);

export function compareTable(a, b, { nameA, nameB } = {}) {
  const label = (r, name) =>
    `${esc(name ?? r.boundary?.name ?? r.boundary?.id ?? "")}<br><small>${esc(r.period?.start)}–${esc(r.period?.end)}</small>`;
  const rows = [
    ["Area (ha)", a.boundary?.area_ha, b.boundary?.area_ha, fmtArea],
    ...[
      ["Gross emissions (t CO₂e/yr)", "gross_emissions_t_co2e_per_yr", "emissions"],
      ["Gross removals (t CO₂e/yr)", "gross_removals_t_co2e_per_yr", "removals"],
      ["Net (t CO₂e/yr)", "net_t_co2e_per_yr", "net"],
    ].map(([name, key, side]) => [name, total(a, key, side), total(b, key, side), fmtFlux]),
    ["Net per hectare (t CO₂e/ha/yr)", perHa(a), perHa(b), fmtFluxHa],
  ];
  const cats = (a.ipcc_summary || []).filter((r) => r.category !== "Total");
  for (const row of cats) {
    const other = (b.ipcc_summary || []).find((r) => r.category === row.category);
    rows.push([`${row.category} (net)`, row.net_t_co2e_per_yr, other?.net_t_co2e_per_yr ?? null, fmtFlux]);
  }
  const partial = [
    [a, "A"],
    [b, "B"],
  ]
    .filter(([r]) => r.totals?.complete === false)
    .map(([r, k]) => `${k}: ${(r.totals.not_estimated ?? []).join("; ")}`);
  const note = partial.length
    ? `<p class="partial-note" role="note">Partial totals — not estimated (left out of the totals, so B − A of
        totals mixes what was estimated): ${esc(partial.join(" | "))}.</p>`
    : "";
  return `${note}<table class="data compare" aria-label="Comparison of A and B">
    <thead><tr><th scope="col"></th><th scope="col">A: ${label(a, nameA)}</th><th scope="col">B: ${label(b, nameB)}</th>
      <th scope="col">B − A</th><th scope="col">Change</th></tr></thead>
    <tbody>${rows
      .map(
        ([name, va, vb, f]) =>
          `<tr><th scope="row">${esc(name)}</th>${numCell(va, f)}${numCell(vb, f)}${numCell(diff(va, vb), f)}${numCell(pctChange(va, vb), fmtChange)}</tr>`,
      )
      .join("")}</tbody></table>
    <p class="muted sign-note">Removals and sinks are negative: a positive B − A on a removal or a net sink means
      <em>less</em> CO₂ taken up in B; change in % is relative to |A|.</p>`;
}
