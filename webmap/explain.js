// Words for people who are not specialists (issue 14 item 2): one plain sentence under the headline cards, an ⓘ
// definition for every category, the sign convention and a link to the method (docs/method.md, served at /method).

import { missingOf, NOT_ESTIMATED } from "./estimated.js";
import { esc, fmtFlux, fmtFluxHa } from "./format.js";

/** What each inventory category and IPCC summary group means, in the words of docs/method.md §3–§5. */
export const GLOSSARY = {
  "Forest Change":
    "Land whose use changed between the two years. Forest cleared for cropland, grassland, settlement, wetland or " +
    "other land releases the carbon it held (an emission); land that became forest (reforestation) takes up CO₂ as " +
    "the new trees grow (a removal). From the land-cover maps of both years.",
  "Forest Remaining Forest":
    "Forest in both years. Undisturbed forest grows and takes up CO₂ (a removal); forest hit by fire, insects or " +
    "disease, or harvest releases carbon (emissions).",
  "Trees Outside Forest":
    "Trees on land that is not forest in either year — streets, yards, parks, farms. Canopy kept or gained takes " +
    "up CO₂; canopy lost releases it. From tree-canopy cover maps.",
  Total: "All rows: gross emissions plus gross removals (removals count as negative), so net = emissions + removals.",
  "Forest remaining forest": "Forest in both years: growth of undisturbed forest minus losses to fire, insects or disease, and harvest.",
  "Forest to non-forest": "Forest that became another land use: the carbon it held is released.",
  "Non-forest to forest": "Land that became forest: the new trees take up CO₂.",
  "Trees outside forests": "Trees on land that is not forest (streets, yards, parks, farms): canopy kept or gained minus canopy lost.",
};

export const SIGN_CONVENTION =
  "Emissions are positive and removals negative; net = emissions + removals, so a negative net means the land " +
  "took up more CO₂ than it released (a carbon sink).";

/** An ⓘ button (a CSS-drawn circled i: system fonts may lack U+24D8) that shows the definition of `term` (nothing when there is none). */
export function infoButton(term) {
  const text = GLOSSARY[term];
  if (!text) return "";
  return `<details class="gloss"><summary aria-label="What is ${esc(term)}?" title="What is ${esc(term)}?"><span class="info-i" aria-hidden="true">i</span></summary>
    <span class="gloss-text">${esc(text)}</span></details>`;
}

/** "From 2011 to 2019, Alder County's forests and trees removed a net 206,429 t CO2e per year: …". */
export function plainSentence(report, { title } = {}) {
  const t = report.totals || {};
  const p = report.period || {};
  const net = t.net_t_co2e_per_yr;
  if (net === null || net === undefined) return "";
  const who = title ?? report.boundary?.name ?? "this area";
  const area = report.boundary?.area_ha;
  const perHa = area ? ` (${fmtFluxHa(Math.abs(net / area))} t per hectare)` : "";
  const missing = missingOf(t);
  const sentence = (text) => `<p class="plain-sentence">${esc(text)}</p>
    <p class="sign-note muted">${esc(SIGN_CONVENTION)} <a href="method" target="_blank" rel="noopener">How this is computed (the method)</a></p>`;
  if (missing.net) {
    // Nothing estimated (e.g. a region with land cover only): no "net 0" (issue 26 item 8).
    return sentence(
      `From ${p.start} to ${p.end}, the net flux of the forests and trees of ${who} is ${NOT_ESTIMATED}: ` +
        "no inventory row could be computed (a layer or factor table is missing; see warnings).",
    );
  }
  const removals = missing.removals ? `an amount ${NOT_ESTIMATED}` : `${fmtFlux(Math.abs(t.gross_removals_t_co2e_per_yr ?? 0))} t`;
  const emissions = missing.emissions ? `an amount ${NOT_ESTIMATED}` : `${fmtFlux(t.gross_emissions_t_co2e_per_yr ?? 0)} t`;
  const what =
    net < 0
      ? `removed a net ${fmtFlux(-net)} t CO₂e per year${perHa} from the air: they took up ${removals} and released ${emissions} a year`
      : `released a net ${fmtFlux(net)} t CO₂e per year${perHa} to the air: they released ${emissions} and took up ${removals} a year`;
  const partial = t.complete === false ? " Some rows could not be estimated, so this total is partial." : "";
  return sentence(`From ${p.start} to ${p.end}, the forests and trees of ${who} ${what}.${partial}`);
}
