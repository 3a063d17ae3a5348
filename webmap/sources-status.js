// The server's last check of the public data sources (`learn sources check`, GET /api/sources/status), shown in
// the "Any US county or city" box when it is opened: "Public data reachable (checked 14:05)" or "Public data not
// reachable (checked 14:05): …" — the server runs the check in the background, so the box asks again while
// it runs (issue 22).

import { sourcesStatus } from "./api.js";
import { esc } from "./format.js";

const POLL_MS = 2000;
const POLL_TRIES = 45;

/** HH:MM (local time) of an ISO time, "" when none. */
function hhmm(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toTimeString().slice(0, 5);
}

/** The line the box shows for a status answer. */
export function describeStatus(s) {
  const when = hhmm(s.checked_at);
  if (s.state === "checking" || s.state === "unchecked") return { cls: "checking", text: "Checking the public data sources …" };
  if (s.state === "not reachable") {
    const names = (s.unreachable ?? []).slice(0, 4).join(", ");
    return { cls: "down", text: `Public data not reachable (checked ${when})${names ? `: ${names}` : ""}.` };
  }
  const differs = s.differs ?? [];
  if (differs.length) {
    const list = differs.slice(0, 3).map((d) => `${d.dataset}: ${d.check}`).join("; ");
    return { cls: "differs", text: `Public data reachable (checked ${when}); ${differs.length} check(s) differ from what the tool expects: ${list}.` };
  }
  return { cls: "ok", text: `Public data reachable (checked ${when}).` };
}

/** Ask the server once the box opens; ask again while its check runs. */
export function watchSourcesStatus(box, line) {
  let started = false;
  async function poll(tries) {
    let s;
    try {
      s = await sourcesStatus();
    } catch {
      line.textContent = "The server's check of the public data sources is not available.";
      line.dataset.state = "unknown";
      return;
    }
    const { cls, text } = describeStatus(s);
    line.innerHTML = esc(text);
    line.dataset.state = cls;
    if ((s.checking || cls === "checking") && tries > 0) setTimeout(() => poll(tries - 1), POLL_MS);
  }
  const start = () => {
    if (started || !box.open) return;
    started = true;
    poll(POLL_TRIES);
  };
  box.addEventListener("toggle", start);
  start();
}
