// The Plan tab's controls (issue 24): the baseline period, the year to project to, and the four measures, each
// a checkbox with its fields in a plain sentence ("Reforest 10 ha per year from 2025 to 2034"). The values live in
// plan-url.js' `plan`; this module draws them and reads them back.

import { esc } from "./format.js";
import { MEASURES, plan } from "./plan-url.js";

const year = (id, label, extra = "") =>
  `<input type="number" class="plan-year" id="${id}" min="1990" max="2100" step="1" inputmode="numeric" aria-label="${esc(label)}"${extra}>`;
const amount = (id, label, { min = 0, max = "", step = 1 } = {}) =>
  `<input type="number" class="plan-amount" id="${id}" min="${min}" max="${max}" step="${step}" inputmode="decimal" aria-label="${esc(label)}">`;

/** Each measure: the checkbox's words, the sentence with its fields, and what it means. */
const ROWS = {
  avoid: {
    title: "Avoid forest loss",
    fields: () =>
      `Avoid ${amount("plan-avoid-share", "Share of forest loss avoided, percent", { max: 100, step: 5 })} % of
       forest loss from ${year("plan-avoid-from", "Avoid forest loss from year")}`,
    hint: "of the forest that business as usual turns into other land each year (e.g. 50 % = half the hectares cleared).",
  },
  reforest: {
    title: "Reforest",
    fields: () =>
      `Reforest ${amount("plan-reforest-ha", "Hectares reforested per year", { step: 1 })} ha per year from
       ${year("plan-reforest-from", "Reforest from year")} to ${year("plan-reforest-to", "Reforest until year (included)")}`,
    hint: "new forest on non-forest land, on top of the regrowth of business as usual (1 ha ≈ 2.5 acres).",
  },
  canopy: {
    title: "Tree canopy goal",
    fields: () =>
      `Tree canopy goal ${amount("plan-canopy-percent", "Tree canopy goal, percent of non-forest land", { max: 100, step: 1 })} %
       by ${year("plan-canopy-by", "Reach the tree canopy goal by year")}`,
    hint: "tree canopy on land that is not forest (streets, yards, parks, farms), reached in a straight line.",
  },
  protect: {
    title: "Protect tree canopy",
    fields: () =>
      `Protect ${amount("plan-protect-share", "Share of tree canopy loss avoided, percent", { max: 100, step: 5 })} % of
       tree canopy loss from ${year("plan-protect-from", "Protect tree canopy from year")}`,
    hint: "of the tree canopy outside forests that business as usual loses each year.",
  },
};

/** Input id of a measure's field ("reforest", "ha" → "plan-reforest-ha"). */
export const fieldId = (key, field) => `plan-${key}-${field}`;

/** The form's HTML (filled with the plan by `fillForm`). */
export function formHtml() {
  const measures = Object.entries(ROWS)
    .map(
      ([key, r]) => `<fieldset class="plan-measure" data-measure="${key}">
        <legend><label class="inline"><input type="checkbox" id="plan-${key}-on" aria-describedby="plan-${key}-hint">
          ${esc(r.title)}</label></legend>
        <div class="plan-fields">${r.fields()}</div>
        <p class="plan-hint muted" id="plan-${key}-hint">${esc(r.hint)}<span class="plan-now"></span></p>
      </fieldset>`,
    )
    .join("");
  return `<form id="plan-form" class="plan-form" aria-label="Measures of the plan" novalidate>
      <div class="plan-when">
        <label for="plan-base">Business as usual: the yearly changes observed in</label>
        <select id="plan-base"></select>
        <label for="plan-to">Project to the year</label>
        <input type="number" class="plan-year" id="plan-to" max="2100" step="1" inputmode="numeric">
      </div>
      ${measures}
    </form>`;
}

/** The baselines on offer: every period ending in the region's last year (the latest period between adjacent
 * land-cover years first: the API's default; longer ones give steadier rates, docs/pathways_hindcast.md), then the
 * earlier periods between adjacent years. */
export function baselines(years) {
  const ys = years ?? [];
  const last = ys[ys.length - 1];
  const ending = ys.slice(0, -1).reverse().map((y) => [y, last]);
  const earlier = [];
  for (let i = ys.length - 2; i >= 1; i--) earlier.push([ys[i - 1], ys[i]]);
  return { ending, earlier, latest: ending[0] ?? null };
}

const option = ([s, e], note = "") => `<option value="${s}_${e}">${s}–${e} (${e - s} years${note})</option>`;

/** Show `plan` in the form; `years`: the region's land-cover years. */
export function fillForm(form, years) {
  const { ending, earlier, latest } = baselines(years);
  const select = form.querySelector("#plan-base");
  select.innerHTML =
    (ending.length ? `<optgroup label="Ending in ${latest[1]}">${ending.map((p, i) => option(p, i ? "" : ", the latest period")).join("")}</optgroup>` : "") +
    (earlier.length ? `<optgroup label="Earlier periods">${earlier.map((p) => option(p)).join("")}</optgroup>` : "");
  const all = [...ending, ...earlier];
  const wanted = plan.baseline && all.some(([s, e]) => s === plan.baseline[0] && e === plan.baseline[1]);
  if (!wanted && all.length) plan.baseline = null; // a baseline this region does not have: the latest
  if (latest) select.value = (plan.baseline ?? latest).join("_");
  const to = form.querySelector("#plan-to");
  to.min = String(((plan.baseline ?? latest)?.[1] ?? 1990) + 1);
  to.value = plan.to ?? "";
  for (const [key, m] of Object.entries(MEASURES)) {
    const v = plan.measures[key];
    form.querySelector(`#plan-${key}-on`).checked = v.on;
    for (const f of m.fields) {
      const input = form.querySelector(`#${fieldId(key, f)}`);
      input.value = v[f] ?? "";
      input.disabled = !v.on;
    }
    form.querySelector(`[data-measure="${key}"]`).classList.toggle("off", !v.on);
  }
}

/** Read the form back into `plan`; returns the plain-words problem of an empty or non-numeric field, or null. */
export function readForm(form) {
  const select = form.querySelector("#plan-base");
  const base = select.value.split("_").map(Number);
  // the first, the latest period, is the API's default: left out of the request and the address
  plan.baseline = base.length === 2 && select.selectedIndex > 0 ? base : null;
  const to = form.querySelector("#plan-to").valueAsNumber;
  plan.to = Number.isFinite(to) ? to : null;
  let problem = plan.to === null ? "Enter the year to project to (e.g. 2050)." : null;
  for (const [key, m] of Object.entries(MEASURES)) {
    const on = form.querySelector(`#plan-${key}-on`).checked;
    const v = { on };
    for (const f of m.fields) {
      const input = form.querySelector(`#${fieldId(key, f)}`);
      input.disabled = !on;
      v[f] = Number.isFinite(input.valueAsNumber) ? input.valueAsNumber : null;
      const label = input.getAttribute("aria-label");
      if (on && v[f] === null && !problem) problem = `Enter a number in “${label}”.`;
      // shares and percentages in the words of the form (the API's shares are fractions); years: the server says
      const [lo, hi] = [input.min, input.max].map((x) => (x === "" ? null : Number(x)));
      const outside = v[f] !== null && input.classList.contains("plan-amount") && ((lo !== null && v[f] < lo) || (hi !== null && v[f] > hi));
      if (on && outside && !problem) problem = `“${label}” must be ${hi === null ? `at least ${lo}` : `between ${lo} and ${hi}`}.`;
    }
    form.querySelector(`[data-measure="${key}"]`).classList.toggle("off", !on);
    plan.measures[key] = v;
  }
  return problem;
}

/** After a pathway: the canopy now, next to the canopy goal ("now about 15 %"). */
export function showCanopyNow(form, pathways) {
  const first = pathways?.scenarios[0]?.series[0];
  const now = form.querySelector('[data-measure="canopy"] .plan-now');
  if (!now) return;
  const pct = first && first.nonforest_tree_canopy_ha !== null ? (100 * first.nonforest_tree_canopy_ha) / first.nonforest_ha : null;
  now.textContent = pct === null || !Number.isFinite(pct) ? "" : ` Now about ${pct.toFixed(0)} % (${first.year}, business as usual).`;
}
