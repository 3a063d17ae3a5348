// The Plan tab's state (issue 24): which tab is shown, the target year, the baseline period and the four measures,
// in the address so that a shared link opens the same scenario. The parameters, written only once the Plan tab has
// been opened (a measure left out of a plan link is off):
//   tab=plan                 the Plan tab is shown (alone: with the default measures)
//   plan_to=2050             the last projected year
//   plan_base=2019_2021      the baseline period (left out: the latest period)
//   plan_avoid=50_2025       avoid 50 % of forest loss from 2025
//   plan_reforest=10_2025_2034  reforest 10 ha per year from 2025 to 2034
//   plan_canopy=40_2040      tree canopy goal 40 % by 2040
//   plan_protect=50_2025     protect 50 % of tree canopy loss from 2025

/** The measures: their API name, fields (as shown: shares in percent) and defaults. */
export const MEASURES = {
  avoid: { kind: "avoid_forest_conversion", fields: ["share", "from"], defaults: { share: 50, from: 2025 }, on: true },
  reforest: { kind: "reforest", fields: ["ha", "from", "to"], defaults: { ha: 10, from: 2025, to: 2034 }, on: true },
  canopy: { kind: "canopy_goal", fields: ["percent", "by"], defaults: { percent: 40, by: 2040 }, on: false },
  protect: { kind: "protect_canopy", fields: ["share", "from"], defaults: { share: 50, from: 2025 }, on: false },
};
export const DEFAULT_TO = 2050;
export const SCENARIO_NAME = "With these measures";

function defaultMeasures() {
  return Object.fromEntries(Object.entries(MEASURES).map(([k, m]) => [k, { on: m.on, ...m.defaults }]));
}

/** The plan shown (one per page). `used`: the Plan tab has been opened, so the address carries the plan. */
export const plan = { open: false, used: false, to: DEFAULT_TO, baseline: null, measures: defaultMeasures() };

const num = (v) => (v === null || v === undefined || v === "" || !Number.isFinite(Number(v)) ? null : Number(v));

/** The plan in an address's parameters (`URLSearchParams`): {open, used, to, baseline, measures}. */
export function readPlanParams(p) {
  const keys = ["plan_to", "plan_base", ...Object.keys(MEASURES).map((k) => `plan_${k}`)];
  const used = keys.some((k) => p.has(k)); // "tab=plan" alone: the default measures
  const measures = defaultMeasures();
  if (used) {
    for (const [key, m] of Object.entries(MEASURES)) {
      const raw = p.get(`plan_${key}`);
      measures[key].on = raw !== null;
      if (raw === null) continue;
      const values = raw.split("_");
      m.fields.forEach((f, i) => {
        measures[key][f] = values[i] === undefined ? m.defaults[f] : num(values[i]);
      });
    }
  }
  const base = (p.get("plan_base") ?? "").split("_").map(num);
  return {
    open: p.get("tab") === "plan",
    used,
    to: p.has("plan_to") ? num(p.get("plan_to")) : DEFAULT_TO,
    baseline: base.length === 2 && base.every((y) => y !== null) ? base : null,
    measures,
  };
}

/** Put the plan into `p` (`URLSearchParams`) when the Plan tab has been used. */
export function writePlanParams(p) {
  if (plan.open) p.set("tab", "plan");
  if (!plan.used) return;
  p.set("plan_to", plan.to ?? "");
  if (plan.baseline) p.set("plan_base", plan.baseline.join("_"));
  for (const [key, m] of Object.entries(MEASURES)) {
    const v = plan.measures[key];
    if (v.on) p.set(`plan_${key}`, m.fields.map((f) => v[f] ?? "").join("_"));
  }
}

/** Set the plan from `wanted` (readPlanParams' answer). */
export function restorePlan(wanted) {
  if (!wanted) return;
  Object.assign(plan, { open: wanted.open, used: wanted.used || plan.used, to: wanted.to, baseline: wanted.baseline });
  plan.measures = wanted.measures;
}

const share = (percent) => Math.round(percent * 1e6) / 1e8; // 50 (%) → 0.5, without 0.30000000000000004

/** The measures that are on, as the API writes them ({kind: {fields}}), in the order of MEASURES. */
export function apiMeasures(measures = plan.measures) {
  const out = [];
  const { avoid, reforest, canopy, protect } = measures;
  if (avoid.on) out.push({ avoid_forest_conversion: { share: share(avoid.share), from: avoid.from } });
  if (reforest.on) out.push({ reforest: { ha_per_yr: reforest.ha, from: reforest.from, to: reforest.to } });
  if (canopy.on) out.push({ canopy_goal: { percent: canopy.percent, by: canopy.by } });
  if (protect.on) out.push({ protect_canopy: { share: share(protect.share), from: protect.from } });
  return out;
}

/** The request body of POST /api/regions/{region}/pathways for `selection` ({kind: "boundary", id} or a stored
 * area {kind: "custom", areaId}). */
export function pathwayBody(selection) {
  const body = selection.kind === "boundary" ? { boundary: selection.id } : { area: selection.areaId };
  if (plan.baseline) body.baseline = plan.baseline;
  body.to = plan.to;
  body.scenarios = [{ name: SCENARIO_NAME, measures: apiMeasures() }];
  return body;
}
