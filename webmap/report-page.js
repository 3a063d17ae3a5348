// The printable report page: report.html?region=&boundary=&start=&end=, ?region=&area=&start=&end= for your own
// area stored on the server, or ?stored=KEY for one kept only in this browser (the server could not store it).

import { api } from "./api.js";
import { showPlanSection, wantsPlan } from "./plan-print.js";
import { renderReport } from "./report.js";
import { loadStoredReport } from "./store.js";
import { showTrend } from "./trend.js";

const $ = (sel) => document.querySelector(sel);

function fail(message) {
  $("#alert-text").textContent = message;
  $("#alert").hidden = false;
  $("#report").innerHTML = "";
}

async function main() {
  const p = new URLSearchParams(location.search);
  const region = p.get("region");
  $("#print-button").addEventListener("click", () => window.print());
  let report;
  try {
    if (p.get("stored")) {
      report = loadStoredReport(p.get("stored"));
      if (!report) throw new Error("this report is no longer stored in the browser; compute it again on the map");
    } else {
      const selection = p.get("area") ? { area: p.get("area") } : { boundary: p.get("boundary") };
      if (!region || !(selection.area || selection.boundary)) {
        throw new Error("missing ?region= and ?boundary= (or ?area=) in the address");
      }
      report = selection.area
        ? await api.areaInventory(region, selection.area, p.get("start"), p.get("end"))
        : await api.inventory(region, selection.boundary, p.get("start"), p.get("end"));
      const back = new URLSearchParams({ region, ...selection });
      if (report.period) {
        back.set("start", report.period.start);
        back.set("end", report.period.end);
      }
      $("#back-link").href = `./?${back}`;
      // The server's PDF of the same report (with a map of the jurisdiction), on either paper.
      const base = api.downloadUrl(region, p.get("boundary"), report.period?.start, report.period?.end, "pdf");
      for (const paper of ["letter", "a4"]) {
        const link = $(`#pdf-${paper}`);
        link.href = `${base}&paper=${paper}`;
        link.hidden = false;
      }
    }
  } catch (err) {
    fail(err.message);
    document.body.dataset.ready = "true";
    return;
  }
  const synthetic = report.provenance?.synthetic;
  $("#synthetic-banner").hidden = !synthetic;
  const b = report.boundary || {};
  document.title = `${b.name ?? b.id ?? "Report"} ${report.period?.start}–${report.period?.end} — LEARN Navigator`;
  $("#generated").textContent = `Printed ${new Date().toISOString().slice(0, 10)}${region ? `, region ${region}` : ""}.`;
  const el = $("#report");
  // your own area (stored or not) has no ID worth showing ("drawn"/"upload", D17)
  renderReport(el, report, { open: true, responsiveChart: true, hideId: Boolean(p.get("area") || p.get("stored")) });
  el.querySelector(".matrix-detail")?.closest("label")?.classList.add("no-print");
  el.dataset.state = "ready";
  document.body.dataset.ready = "true";
  // Charts size themselves to the screen; re-fit them to the paper when printing (the trend's too, once drawn).
  const charts = () => [...el.querySelectorAll("canvas")].map((c) => window.Chart?.getChart(c)).filter(Boolean);
  window.addEventListener("beforeprint", () => charts().forEach((chart) => chart.resize(640, 360)));
  window.addEventListener("afterprint", () => charts().forEach((chart) => chart.resize()));
  if (p.get("boundary")) await showTrend(el, { region, boundary: p.get("boundary"), period: report.period }); // jurisdictions only
  if (wantsPlan(p) && (p.get("boundary") || p.get("area"))) {
    // the Plan tab's link: the pathway after the inventory (issue 24)
    const selection = p.get("area") ? { kind: "custom", areaId: p.get("area") } : { kind: "boundary", id: p.get("boundary") };
    await showPlanSection(el, p, region, selection);
  }
}

main();
