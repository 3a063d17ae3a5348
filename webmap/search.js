// Jurisdiction search: an exact GEOID or name (or a single name that starts with the text) is taken at once;
// anything else lists the matches — typos included, through Fuse.js (npm) — for the user to pick (audit D9).

import Fuse from "./node_modules/fuse.js/dist/fuse.min.mjs";
import { esc } from "./format.js";

const MAX_LISTED = 8;

/** A search over `props` ([{id, name, kind}]): `find(text)` → {hit} (one jurisdiction) or {matches: [...]}. */
export function createSearch(props) {
  const fuse = new Fuse(props, {
    keys: [
      { name: "name", weight: 0.8 },
      { name: "id", weight: 0.2 },
    ],
    threshold: 0.4, // "Oxbow Fals", "Tamarak", "Millbrok" still match; unrelated words do not
    ignoreLocation: true,
  });
  return {
    find(text) {
      const q = text.trim();
      if (!q) return { matches: [] };
      const lower = q.toLowerCase();
      const picked = q.match(/\(([^()]+)\)\s*$/); // "Name (GEOID)" from the suggestions
      const exact =
        (picked && props.find((p) => String(p.id) === picked[1])) ||
        props.find((p) => String(p.id) === q) ||
        props.find((p) => p.name.toLowerCase() === lower);
      if (exact) return { hit: exact };
      const starts = props.filter((p) => p.name.toLowerCase().startsWith(lower));
      if (starts.length === 1) return { hit: starts[0] };
      const contains = props.filter((p) => p.name.toLowerCase().includes(lower) || String(p.id).startsWith(q));
      const fuzzy = fuse.search(q).map((r) => r.item);
      const seen = new Set();
      const matches = [...contains, ...fuzzy].filter((p) => !seen.has(p.id) && seen.add(p.id));
      return { matches };
    },
  };
}

/** The list of matches under the search box (buttons), or a "no match" line; `onPick(id)` on a click. */
export function renderMatches(el, query, matches, onPick) {
  if (!matches.length) {
    el.hidden = true;
    el.innerHTML = "";
    return;
  }
  const shown = matches.slice(0, MAX_LISTED);
  const more = matches.length - shown.length;
  el.innerHTML = `<p class="matches-title" id="matches-title">${esc(matches.length)} jurisdiction${matches.length === 1 ? "" : "s"}
      match “${esc(query)}”${matches.length === 1 ? "" : " — pick one"}:</p>
    <ul aria-labelledby="matches-title">${shown
      .map(
        (p) => `<li><button type="button" class="link" data-id="${esc(p.id)}">${esc(p.name)}</button>
          <span class="muted">${esc(p.kind ?? "")} ${esc(p.id)}</span></li>`,
      )
      .join("")}</ul>${more > 0 ? `<p class="muted">and ${more} more: type more of the name.</p>` : ""}`;
  el.hidden = false;
  for (const b of el.querySelectorAll("button[data-id]")) {
    b.addEventListener("click", () => {
      el.hidden = true;
      onPick(b.dataset.id);
    });
  }
  el.querySelector("button")?.focus();
}
