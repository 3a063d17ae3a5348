// The Plan tab's words and tables (issue 24): the plain sentence of what the measures avoid by the target year with
// its 90 % interval (said to be partial, and why, when the baseline inventory left rows out: never a 0 for what
// was not estimated), the milestones, the trees to plant of a canopy goal, the warnings, and the yearly numbers.

import { esc, fmt, fmtArea, fmtFlux, numCell } from "./format.js";
import { forPeople } from "./messages.js";

/** `v` rounded to 3 significant digits for a sentence ("about 2,170,000"). */
export const about = (v) => fmtFlux(v === null || v === undefined ? v : Number(Number(v).toPrecision(3)));

const list = (items) =>
  items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;

/** The rows the baseline left out, in words ("Forest Change — To Grassland" → "forest change to grassland"). */
function leftOut(p) {
  return list(p.not_estimated.map((r) => r.replace(/\s+—\s+/g, ": ")));
}

function partialNote(p) {
  if (p.complete) return "";
  return ` <span class="plan-partial">This is a partial figure: the baseline inventory could not estimate
    ${esc(leftOut(p))}, so every year of both pathways leaves ${p.not_estimated.length > 1 ? "them" : "it"} out.</span>`;
}

/** Measures that change nothing in a partial pathway: what they act on was not estimated (never shown as 0). */
const notEstimated = (p, v, lo, hi) => !p.complete && p.scenarios[1]?.measures.length > 0 && v === 0 && !lo && !hi;

/** The headline: "By 2050 these measures avoid about X t CO₂e (90 %: A to B) compared with business as usual." */
export function sentence(p) {
  const s = p.scenarios[1];
  const year = String(p.end_year);
  if (!s || !s.measures.length) {
    return `<p class="plan-sentence" data-kind="none">No measure is on: the pathway is business as usual. Turn on a
      measure above to see what it would avoid by ${esc(year)}.</p>`;
  }
  const v = s.reduction_vs_bau_t_co2e[year];
  const lo = s.reduction_vs_bau_p05_t_co2e?.[year];
  const hi = s.reduction_vs_bau_p95_t_co2e?.[year];
  const data = `data-year="${esc(year)}" data-value="${esc(v)}" data-p05="${esc(lo ?? "")}" data-p95="${esc(hi ?? "")}"`;
  if (v === 0 && !lo && !hi) {
    // nothing changes: either the baseline has none of what the measures act on, or that part was not estimated
    const kind = p.complete ? "nothing" : "not-estimated";
    const why = p.complete
      ? "the baseline period has none of what they act on (e.g. no forest loss to avoid), so the pathways are the same."
      : `not estimated: the baseline inventory could not estimate ${esc(leftOut(p))}.`;
    return `<p class="plan-sentence" data-kind="${kind}" ${data}>By ${esc(year)} the effect of these measures is ${why}</p>`;
  }
  const avoid = v >= 0;
  const [a, b] = avoid ? [lo, hi] : [-hi, -lo];
  const interval = lo === undefined || lo === null ? "" : ` (90 %: ${esc(about(a))} to ${esc(about(b))})`;
  return `<p class="plan-sentence" data-kind="${avoid ? "avoid" : "add"}" ${data}>By ${esc(year)} these measures
    ${avoid ? "avoid" : "add"} about <strong class="plan-headline">${esc(about(Math.abs(v)))} t CO₂e</strong>${interval}
    compared with business as usual.${partialNote(p)}</p>`;
}

/** Cumulative net of both pathways and what the measures avoid, at each milestone (2030, 2050, the end year). */
export function milestones(p) {
  const [bau, s] = p.scenarios;
  const years = Object.keys(bau.cumulative_net_t_co2e).sort();
  const iv = (lo, hi) => (lo === undefined || lo === null ? "—" : `${esc(fmtFlux(lo))} to ${esc(fmtFlux(hi))}`);
  const avoided = (y) => {
    const [v, lo, hi] = [s.reduction_vs_bau_t_co2e[y], s.reduction_vs_bau_p05_t_co2e?.[y], s.reduction_vs_bau_p95_t_co2e?.[y]];
    if (notEstimated(p, v, lo, hi)) return '<td class="num missing not-estimated" colspan="2">not estimated</td>';
    return `${numCell(v)}<td class="num">${iv(lo, hi)}</td>`;
  };
  const body = years
    .map(
      (y) => `<tr data-year="${esc(y)}"><th scope="row">${esc(p.baseline_period[1] + 1)}–${esc(y)}</th>
      ${numCell(bau.cumulative_net_t_co2e[y])}${s ? numCell(s.cumulative_net_t_co2e[y]) : ""}${s ? avoided(y) : ""}</tr>`,
    )
    .join("");
  return `<div class="scroll-x"><table class="data plan-milestones">
    <caption>Total over the years (t CO₂e; − = net removal)</caption>
    <thead><tr><th scope="col">Years</th><th scope="col">Business as usual</th>
      ${s ? '<th scope="col">With these measures</th><th scope="col">Avoided</th><th scope="col">Avoided, 90 %</th>' : ""}</tr></thead>
    <tbody>${body}</tbody></table></div>`;
}

/** The trees to plant of a canopy goal (canopy area ÷ an assumed crown area per tree), or "". */
export function treesNote(p) {
  const s = p.scenarios[1];
  const goal = s?.measures.find((m) => m.canopy_goal)?.canopy_goal;
  if (!goal) return "";
  if (s.trees_to_plant === null || s.trees_to_plant === undefined) {
    return `<p class="plan-trees not-estimated" data-value="">Trees to plant: not estimated (this region has no tree
      canopy layer, so the canopy goal cannot be followed).</p>`;
  }
  const crown = goal.crown_area_m2;
  return `<p class="plan-trees" data-value="${esc(s.trees_to_plant)}">Trees to plant for the canopy goal of
    ${esc(fmt(goal.percent, 0))} % by ${esc(goal.by)}: about <strong>${esc(about(s.trees_to_plant))}</strong> trees
    (the canopy to add ÷ ${esc(fmt(crown, 1))} m² of crown per grown tree, an assumption of this tool).</p>`;
}

/** The pathway's and the scenarios' warnings, in plain words, each once. */
export function warningsList(p) {
  const all = [...p.warnings, ...p.scenarios.flatMap((s) => s.warnings)];
  // the documents a warning cites are for the method's readers, not the page: "(docs/….md)" left out
  const seen = [...new Set(all.map((w) => forPeople(w.replace(/\s*\((?:see )?docs\/[^()]*\)/g, ""))))];
  if (!seen.length) return "";
  return `<div class="warnings plan-warnings" role="note"><h3>Good to know</h3>
    <ul>${seen.map((w) => `<li>${esc(w)}</li>`).join("")}</ul></div>`;
}

/** The yearly numbers of the chart, and the areas, in a table. */
export function yearsTable(p) {
  const [bau, s] = p.scenarios;
  const iv = (r) => `<td class="num">${esc(fmtFlux(r.net_p05_t_co2e_per_yr))} to ${esc(fmtFlux(r.net_p95_t_co2e_per_yr))}</td>`;
  const body = bau.series
    .map((b, i) => {
      const r = s?.series[i];
      return `<tr data-year="${esc(b.year)}"><th scope="row">${esc(b.year)}</th>${numCell(b.net_t_co2e_per_yr)}${iv(b)}
        ${r ? `${numCell(r.net_t_co2e_per_yr)}${iv(r)}${numCell(r.forest_ha, fmtArea)}${numCell(r.nonforest_tree_canopy_ha, fmtArea)}` : ""}</tr>`;
    })
    .join("");
  const more = s
    ? `<th scope="col">With these measures</th><th scope="col">90 %</th><th scope="col">Forest (ha)</th>
       <th scope="col">Tree canopy outside forest (ha)</th>`
    : "";
  return `<div class="scroll-x"><table class="data plan-years">
    <caption>Net flux per year (t CO₂e/yr; − = net removal)</caption>
    <thead><tr><th scope="col">Year</th><th scope="col">Business as usual</th><th scope="col">90 %</th>${more}</tr></thead>
    <tbody>${body}</tbody></table></div>`;
}

/** The measures of a scenario (the API's entries) in words, for the printed report. */
export function measuresText(measures) {
  const pct = (share) => `${fmt(share * 100, 0)} %`;
  const words = measures.map((m) => {
    const [[kind, f]] = Object.entries(m);
    if (kind === "avoid_forest_conversion") return `avoid ${pct(f.share)} of forest loss from ${f.from ?? "the start"}`;
    if (kind === "reforest") return `reforest ${fmt(f.ha_per_yr, 1)} ha per year from ${f.from ?? "the start"} to ${f.to ?? "the end"}`;
    if (kind === "canopy_goal") return `tree canopy goal ${fmt(f.percent, 0)} % of non-forest land by ${f.by}`;
    if (kind === "protect_canopy") return `protect ${pct(f.share)} of tree canopy loss from ${f.from ?? "the start"}`;
    return kind;
  });
  return words.length ? `Measures: ${words.join("; ")}.` : "No measures: business as usual only.";
}
