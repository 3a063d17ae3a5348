// The server's PDF downloads with progress shown (issue 26 item 3): WeasyPrint takes seconds (11.7 s for a
// Letter PDF on a busy machine), so a click on "PDF (Letter)" / "PDF (A4)" fetches the PDF here, says
// "Making the PDF (Letter)… 3 s" next to the links meanwhile, then saves it under the link's name (which carries
// the paper: learn_<id>_<name>_<start>_<end>_letter.pdf). A failure is said in the same line.

import { request } from "./api.js";
import { esc } from "./format.js";

/** The status line under the downloads (one per report), created on first use. */
function statusLine(nav) {
  let line = nav.parentElement.querySelector(".pdf-status");
  if (!line) {
    line = Object.assign(document.createElement("p"), { className: "pdf-status" });
    line.setAttribute("role", "status");
    nav.after(line);
  }
  return line;
}

/** Save `blob` under `name` (an object URL clicked in a link with `download`). */
function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement("a"), { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

async function makePdf(link, nav) {
  if (link.dataset.making) return; // one at a time per link
  const label = link.textContent.trim();
  const line = statusLine(nav);
  const t0 = performance.now();
  const seconds = () => Math.round((performance.now() - t0) / 1000);
  const tick = () => {
    line.innerHTML = `<span class="spinner" aria-hidden="true"></span> Making the ${esc(label)}… ${seconds()} s`;
  };
  link.dataset.making = "true";
  link.setAttribute("aria-busy", "true");
  line.dataset.state = "making";
  tick();
  const timer = setInterval(tick, 1000);
  try {
    const response = await request(link.href);
    save(await response.blob(), link.getAttribute("download") || "report.pdf");
    line.textContent = `${label} ready (${seconds()} s).`;
    line.dataset.state = "done";
  } catch (err) {
    line.textContent = `The ${label} could not be made: ${err.message}`;
    line.dataset.state = "failed";
  } finally {
    clearInterval(timer);
    delete link.dataset.making;
    link.removeAttribute("aria-busy");
  }
}

/** Route the report's PDF links through :func:`makePdf` (the links keep their href: "open in new tab" works). */
export function pdfWithProgress(el) {
  const nav = el.querySelector("nav.downloads");
  for (const link of nav?.querySelectorAll('a[data-format^="pdf-"]') ?? []) {
    link.addEventListener("click", (e) => {
      if (e.ctrlKey || e.metaKey || e.shiftKey) return;
      e.preventDefault();
      makePdf(link, nav);
    });
  }
}
