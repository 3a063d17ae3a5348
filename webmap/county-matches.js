// The matches of the county / place picker, listed while the user types (issue 26 item 3): a listbox under the
// input (an ARIA combobox: focus stays in the input), the first match highlighted, ↓/↑ move the highlight, Escape
// closes the list. Prepare (or Enter) acts on the highlighted match; a click on a match picks it.

import { esc } from "./format.js";

const MAX_LISTED = 8;

/** Wire `input` and its list `el`; `onPick(item)` when a match is clicked. Items are {id, name, kind}. */
export function createMatchList(input, el, { onPick }) {
  let items = [];
  let active = -1;
  el.setAttribute("role", "listbox");
  el.setAttribute("aria-label", "Matches");
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", el.id);
  input.setAttribute("aria-expanded", "false");

  function highlight(i) {
    active = items.length ? (i + items.length) % items.length : -1;
    el.querySelectorAll("[role=option]").forEach((o, k) => {
      o.setAttribute("aria-selected", String(k === active));
      o.classList.toggle("active", k === active);
    });
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", `${el.id}-${active}`);
      el.querySelector(`#${el.id}-${active}`)?.scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  }

  function hide() {
    items = [];
    active = -1;
    el.hidden = true;
    el.innerHTML = "";
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  /** List `matches` (the first highlighted); "nothing matches" when there are none. */
  function show(query, matches) {
    if (!matches.length) {
      hide();
      el.hidden = false;
      el.innerHTML = `<p class="matches-title">Nothing matches “${esc(query)}”.</p>`;
      return;
    }
    items = matches.slice(0, MAX_LISTED);
    const more = matches.length - items.length;
    el.innerHTML = `<ul>${items
      .map(
        (p, i) => `<li role="option" id="${el.id}-${i}" data-id="${esc(p.id)}" aria-selected="false">
          <span class="match-name">${esc(p.name)}</span> <span class="muted">${esc(p.id)}</span></li>`,
      )
      .join("")}</ul>${more > 0 ? `<p class="muted">and ${more} more: type more of the name.</p>` : ""}`;
    el.hidden = false;
    input.setAttribute("aria-expanded", "true");
    el.querySelectorAll("[role=option]").forEach((o, i) => {
      o.addEventListener("mousedown", (e) => e.preventDefault()); // the focus stays in the input
      o.addEventListener("click", () => {
        const item = items[i];
        hide();
        onPick(item);
      });
    });
    highlight(0);
  }

  input.addEventListener("keydown", (e) => {
    if (el.hidden || !items.length) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      highlight(active + (e.key === "ArrowDown" ? 1 : -1));
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      hide();
    }
  });

  return {
    show,
    hide,
    /** The highlighted match, or null when no list is shown. */
    highlighted: () => (active >= 0 && !el.hidden ? items[active] : null),
  };
}
