// The pathway in the printable report (issue 24): report.html with the Plan tab's parameters (plan-url.js) adds a
// "Pathway" section after the inventory: the measures in words, the sentence, the chart with both 90 % bands, the
// milestones, the trees to plant, the warnings and the yearly numbers, from POST /api/regions/{region}/pathways.

import { request } from "./api.js";
import { esc } from "./format.js";
import { forPeople } from "./messages.js";
import { drawPlanChart } from "./plan-chart.js";
import { measuresText, milestones, sentence, treesNote, warningsList, yearsTable } from "./plan-text.js";
import { pathwayBody, readPlanParams, restorePlan } from "./plan-url.js";

/** Whether the address asks for the pathway (the Plan tab's link). */
export const wantsPlan = (params) => readPlanParams(params).open || readPlanParams(params).used;

/** Append the pathway of `selection` ({kind: "boundary", id} or {kind: "custom", areaId}) to `el`. */
export async function showPlanSection(el, params, region, selection) {
  restorePlan(readPlanParams(params));
  const box = document.createElement("section");
  box.className = "plan-box plan-result";
  box.dataset.state = "loading";
  box.innerHTML = `<h3>Pathway</h3><p class="muted"><span class="spinner" aria-hidden="true"></span> Computing the pathway…</p>`;
  el.append(box);
  const body = pathwayBody(selection);
  try {
    const r = await request(`api/regions/${encodeURIComponent(region)}/pathways`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const p = await r.json();
    const [start, end] = p.baseline_period;
    box.innerHTML = `<h3>Pathway to ${esc(p.end_year)}: business as usual and with measures</h3>
      <p class="plan-measures">${esc(measuresText(p.scenarios[1]?.measures ?? []))}</p>
      ${sentence(p)}
      ${treesNote(p)}
      <div class="chart-wrap plan-wrap"><canvas role="img" aria-label="${esc(`Line chart of net flux per year to ${p.end_year}, business as usual and with these measures, each with its 90 % interval shaded`)}"></canvas></div>
      <p class="plan-note muted">Net flux per year (t CO₂e/yr; negative = net removal). Dashed: business as usual, the
        yearly changes observed in ${esc(start)}–${esc(end)} carried forward; solid: with the measures. Shaded: each
        one's 90 % interval. Method: docs/pathways.md.</p>
      ${milestones(p)}
      ${warningsList(p)}
      <details class="plan-numbers" open><summary>Pathway numbers, year by year</summary>${yearsTable(p)}</details>`;
    drawPlanChart(box.querySelector("canvas"), p);
    box.dataset.state = "ready";
  } catch (err) {
    box.dataset.state = "failed";
    box.innerHTML = `<h3>Pathway</h3><p class="placeholder failed">The pathway could not be computed: ${esc(forPeople(err.message))}</p>`;
  }
}
