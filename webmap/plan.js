// The Plan tab (issue 24): for the selected jurisdiction or stored area, business as usual and the scenario of the
// measures on the form, year by year from the baseline period to the target year, from
// POST /api/regions/{region}/pathways: the plain sentence, the chart with both 90 % intervals, the milestones, the
// trees to plant, the warnings, the downloads (the server's CSV, XLSX, JSON and PDF report, a printable page) and the
// yearly numbers. The tabs follow the ARIA tabs pattern (arrow keys, Home, End). The Plan follows the report
// panel: when #report shows a new selection, the Plan shows its pathway (a MutationObserver, so selection.js needs
// no hook).

import { ApiError, request } from "./api.js";
import { esc, fmt } from "./format.js";
import { forPeople } from "./messages.js";
import { drawPlanChart } from "./plan-chart.js";
import { fillForm, formHtml, readForm, showCanopyNow } from "./plan-form.js";
import { milestones, sentence, treesNote, warningsList, yearsTable } from "./plan-text.js";
import { pathwayBody, plan, restorePlan, writePlanParams } from "./plan-url.js";
import { $, state } from "./state.js";
import { writeUrl } from "./url.js";

const enc = encodeURIComponent;
const cache = new Map(); // region + body → Promise of the pathways (a failure is not kept)
let token = 0;
let shown = null; // {key, region, body, pathways} on the tab
let renders = 0;

const pathwaysUrl = (region, ext = "") => `api/regions/${enc(region)}/pathways${ext ? `.${ext}` : ""}`;
const post = (url, body) =>
  request(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

function pathwaysOf(region, body) {
  const key = `${region}|${JSON.stringify(body)}`;
  if (!cache.has(key)) {
    const p = post(pathwaysUrl(region), body).then((r) => r.json());
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return { key, promise: cache.get(key) };
}

const panel = () => $("#plan");
const result = () => $("#plan .plan-result");

function setStatus(text) {
  $("#plan .plan-status").textContent = text;
}

/** Why the selection cannot be planned, or null. */
function notPlannable(sel) {
  if (!sel) return "Click a jurisdiction on the map, search one above, or draw your own area: its plan appears here.";
  if (sel.kind === "custom" && !sel.areaId) {
    return "The server could not keep this area, so it cannot be planned here. Draw or upload it again.";
  }
  return null;
}

function showMessage(text, kind = "empty") {
  const el = panel();
  el.dataset.state = kind;
  result().classList.remove("stale");
  result().innerHTML = `<p class="placeholder${kind === "error" ? " failed" : ""}">${esc(text)}</p>`;
  setStatus(kind === "error" ? text : "");
  shown = null;
}

/** The printable report of the selection with this pathway after it (report.html reads the same parameters). */
function printHref(sel) {
  const q = new URLSearchParams({ region: state.region });
  if (sel.kind === "boundary") q.set("boundary", sel.id);
  else q.set("area", sel.areaId);
  q.set("start", state.start);
  q.set("end", state.end);
  writePlanParams(q);
  return `report.html?${q}`;
}

function downloadsHtml(sel) {
  return `<nav class="downloads plan-downloads" aria-label="Download the pathway">
      <button type="button" class="button" data-format="csv">CSV</button>
      <button type="button" class="button" data-format="xlsx">XLSX</button>
      <button type="button" class="button" data-format="json">JSON</button>
      <button type="button" class="button" data-format="pdf" data-paper="letter">PDF report (Letter)</button>
      <button type="button" class="button" data-format="pdf" data-paper="a4">PDF report (A4)</button>
      <a class="button" data-format="print" href="${esc(printHref(sel))}" target="_blank" rel="noopener">Printable report with this plan</a>
    </nav><p class="plan-download-status status" role="status"></p>`;
}

function render(p) {
  const el = panel();
  const name = p.boundary.name;
  const [start, end] = p.baseline_period;
  result().classList.remove("stale");
  result().innerHTML = `
    <h3 class="plan-title">${esc(name)}: ${esc(end + 1)}–${esc(p.end_year)}</h3>
    ${sentence(p)}
    ${treesNote(p)}
    <div class="chart-wrap plan-wrap"><canvas role="img" aria-label="${esc(
      `Line chart of net flux per year, ${end + 1}–${p.end_year}, business as usual and with these measures, each with its 90 % interval shaded; the numbers are in the table below`,
    )}"></canvas></div>
    <p class="plan-note muted">Net flux per year (t CO₂e/yr; negative = net removal, a sink). Dashed: business as
      usual, the yearly changes observed in ${esc(start)}–${esc(end)} carried forward; solid: with these measures.
      Shaded: each one's 90 % interval (${esc(fmt(p.uncertainty?.draws))} Monte Carlo draws over the factors and the
      observed rates). Same factors as the inventory.</p>
    ${milestones(p)}
    ${warningsList(p)}
    ${downloadsHtml(state.selection)}
    <details class="plan-numbers"><summary>Pathway numbers, year by year (table)</summary>${yearsTable(p)}</details>`;
  drawPlanChart(result().querySelector("canvas"), p);
  showCanopyNow($("#plan-form"), p);
  for (const b of result().querySelectorAll(".plan-downloads button")) {
    b.addEventListener("click", () => download(b));
  }
  el.dataset.state = "ready";
  el.dataset.boundary = state.selection?.kind === "boundary" ? state.selection.id : "custom";
  el.dataset.to = String(p.end_year);
  el.dataset.baseline = p.baseline_period.join("_");
  el.dataset.measures = JSON.stringify(p.scenarios[1]?.measures ?? []);
  el.dataset.renders = String(++renders);
  setStatus(`Plan for ${name} to ${p.end_year} shown.`);
}

/** The progress state: the note (HTML) over the previous pathway, dimmed, its downloads disabled (or alone). */
function computing(text) {
  panel().dataset.state = "loading";
  const note = `<p class="computing-note plan-computing"><span class="spinner" aria-hidden="true"></span> ${text}</p>`;
  if (!result().querySelector(".plan-title")) {
    result().innerHTML = note;
    return;
  }
  result().classList.add("stale");
  result().querySelector(".plan-computing")?.remove();
  result().insertAdjacentHTML("afterbegin", note);
  for (const b of result().querySelectorAll(".plan-downloads button")) b.disabled = true;
  for (const a of result().querySelectorAll(".plan-downloads a")) {
    a.removeAttribute("href"); // the old plan's printable report: not while the new one computes
    a.setAttribute("aria-disabled", "true");
  }
}

/** Compute (or take from the cache) and show the pathway of the selection with the form's measures. */
export async function refreshPlan() {
  const el = panel();
  if (!el || !plan.open) return;
  const sel = state.selection;
  const why = notPlannable(sel);
  if (why) {
    showMessage(why);
    return;
  }
  const problem = readForm($("#plan-form"));
  writeUrl({ replace: true });
  if (problem) {
    showMessage(problem, "error");
    return;
  }
  const region = state.region;
  const body = pathwayBody(sel);
  const { key, promise } = pathwaysOf(region, body);
  if (shown?.key === key && el.dataset.state === "ready") return;
  const mine = ++token;
  const label = state.report?.boundary?.name ?? (sel.kind === "boundary" ? sel.id : "your area");
  computing(`Computing the pathway of ${esc(label)}: business as usual and with these measures, each year to
    ${esc(plan.to)} (a few seconds the first time)…`);
  setStatus(`Computing the plan for ${label}…`);
  try {
    const p = await promise;
    if (mine !== token) return;
    shown = { key, region, body, pathways: p };
    render(p);
  } catch (err) {
    if (mine !== token) return;
    const msg = forPeople(err instanceof ApiError || err instanceof Error ? err.message : String(err));
    showMessage(`The pathway could not be computed: ${msg}`, "error");
    if (!(err instanceof ApiError)) console.warn(err);
  }
}

/** A download button: POST the pathway shown to …/pathways.{csv,xlsx,json} and save the file the server names. */
async function download(button) {
  if (!shown) return;
  const { region, body } = shown;
  const status = result().querySelector(".plan-download-status");
  const format = button.dataset.format;
  button.setAttribute("aria-busy", "true");
  status.textContent = `Preparing the ${format.toUpperCase()} file${format === "pdf" ? " (the report of the baseline period with this pathway)" : ""}…`;
  try {
    const paper = button.dataset.paper ? `?paper=${enc(button.dataset.paper)}` : "";
    const r = await post(`${pathwaysUrl(region, format)}${paper}`, body);
    const name = /filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") ?? "")?.[1] ?? `pathways.${format}`;
    const href = URL.createObjectURL(await r.blob());
    const a = Object.assign(document.createElement("a"), { href, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 60_000);
    status.textContent = `${name} downloaded.`;
  } catch (err) {
    status.textContent = `The ${format.toUpperCase()} file could not be made: ${forPeople(err.message)}`;
  } finally {
    button.removeAttribute("aria-busy");
  }
}

// ---- the tabs -----------------------------------------------------------------------------------------------

const TABS = () => [...document.querySelectorAll('#panel-tabs [role="tab"]')];

/** Show the Inventory ("report") or the Plan tab. */
export function selectTab(which, { focus = false, url = true, refresh = true } = {}) {
  for (const tab of TABS()) {
    const on = tab.dataset.tab === which;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    document.getElementById(tab.getAttribute("aria-controls")).hidden = !on;
    if (on && focus) tab.focus();
  }
  plan.open = which === "plan";
  if (plan.open) plan.used = true;
  if (url) writeUrl({ replace: true });
  if (plan.open) fillForm($("#plan-form"), state.info?.years);
  if (plan.open && refresh) refreshPlan();
}

function onTabKey(e) {
  const tabs = TABS();
  const i = tabs.indexOf(document.activeElement);
  if (i < 0) return;
  const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
  if (next === undefined) return;
  e.preventDefault();
  selectTab(tabs[(next + tabs.length) % tabs.length].dataset.tab, { focus: true });
}

/** Back/Forward: show the plan the address holds (computed once the report of its selection is shown). */
export function applyPlan(wanted) {
  restorePlan(wanted);
  selectTab(plan.open ? "plan" : "report", { url: false, refresh: false });
}

/** Build the tab's form and wire the tabs; `wanted`: the plan of the address (url.js readUrl().plan). */
export function setupPlan(wanted) {
  restorePlan(wanted);
  const el = panel();
  el.innerHTML = `<h2 class="visually-hidden">Plan</h2>
    <p class="hint plan-intro">Where forest and tree carbon is heading, and what protecting forest or planting trees
      would change: business as usual and your measures, year by year, with the inventory's factors.</p>
    ${formHtml()}
    <p class="plan-status visually-hidden" role="status" aria-live="polite"></p>
    <div class="plan-result"></div>`;
  const form = $("#plan-form");
  fillForm(form, state.info?.years);
  let timer = null;
  form.addEventListener("submit", (e) => e.preventDefault());
  form.addEventListener("change", () => {
    clearTimeout(timer);
    refreshPlan();
  });
  form.addEventListener("input", (e) => {
    if (e.target.type !== "number") return;
    clearTimeout(timer);
    timer = setTimeout(refreshPlan, 800); // typing: wait for a pause
  });
  $("#panel-tabs").addEventListener("keydown", onTabKey);
  for (const tab of TABS()) tab.addEventListener("click", () => selectTab(tab.dataset.tab));
  // the Plan follows the report panel's selection
  new MutationObserver(() => {
    const st = $("#report").dataset.state;
    if (st === "loading" && plan.open && panel().dataset.state !== "loading") {
      token++; // a pathway still on its way is the previous selection's: not shown
      computing("Computing the report of the selection first…");
    }
    if (st === "ready" || st === "empty" || st === "error") {
      fillForm(form, state.info?.years);
      refreshPlan();
    }
  }).observe($("#report"), { attributes: true, attributeFilter: ["data-state", "data-boundary", "data-area"] });
  // computed once the report panel shows the address's selection (or says there is none)
  result().innerHTML = `<p class="placeholder">Loading…</p>`;
  selectTab(plan.open ? "plan" : "report", { url: false, refresh: false });
}
