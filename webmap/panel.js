// States of the report panel other than a report: nothing selected, computing (over the previous report, dimmed,
// its downloads disabled: audit D4), failed (the message only, never the previous numbers: D3); and the small
// status line screen readers announce (the report itself is not a live region: D24).

import { esc } from "./format.js";
import { forPeople } from "./messages.js";

const $ = (sel) => document.querySelector(sel);

/** The short status read out by screen readers. */
export function announce(text) {
  $("#report-status").textContent = text;
}

export function renderPlaceholder() {
  const el = $("#report");
  el.dataset.state = "empty";
  delete el.dataset.boundary;
  el.innerHTML = `<p class="placeholder">Click a jurisdiction on the map, search one above, or draw your own area to
    see its greenhouse gas inventory.</p>`;
}

/** While a report computes, the old one (if any) is dimmed under a "Computing …" line and its downloads are
 * disabled, so nothing on the panel passes for the new selection's numbers (audit D4). */
export function renderLoading(label) {
  const el = $("#report");
  el.dataset.state = "loading";
  el.dataset.loading = label;
  announce(`Computing ${label}…`);
  const title = el.querySelector(".report-title");
  if (!title) {
    el.innerHTML = `<p class="placeholder computing">Computing ${esc(label)}…</p>`;
    return;
  }
  el.classList.add("stale");
  el.querySelector(".computing-note")?.remove();
  el.insertAdjacentHTML(
    "afterbegin",
    `<p class="computing-note" role="status"><span class="spinner" aria-hidden="true"></span> Computing ${esc(label)}… the numbers below are still those of ${esc(title.textContent)}.</p>`,
  );
  for (const a of el.querySelectorAll(".downloads a")) {
    a.dataset.href = a.getAttribute("href");
    a.removeAttribute("href");
    a.setAttribute("aria-disabled", "true");
  }
  for (const b of el.querySelectorAll(".downloads button")) b.disabled = true; // "Copy link" of the old area
}

/** The panel after a failed computation: the message, never the previous selection's numbers (audit D3). */
export function renderFailed(label, err) {
  const el = $("#report");
  el.classList.remove("stale");
  el.dataset.state = "error";
  delete el.dataset.boundary;
  const msg = forPeople(err instanceof Error ? err.message : String(err));
  el.innerHTML = `<p class="placeholder failed">No report for ${esc(label)}: ${esc(msg)}</p>`;
  announce(`No report for ${label}.`);
}
