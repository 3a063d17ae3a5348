// "Any US county or city": pick a county of the conterminous US (offline Census list) or a place — city, town or
// census-designated place — of a state (the server reads the state's Census TIGER place list online, then caches
// it), search it by name with typos forgiven, and choose two years; the server fetches the public layers and
// computes the inventory, showing each step; the prepared county or place then opens like any other region
// (issue 14). The client names a GEOID and years, never a URL or a path.

import { counties, prepareRegion } from "./api.js";
import { esc } from "./format.js";
import { forPeople } from "./messages.js";
import { createMatchList } from "./county-matches.js";
import { createSearch } from "./search.js";
import { watchSourcesStatus } from "./sources-status.js";
import { stateLabel } from "./states.js";

const $ = (sel) => document.querySelector(sel);

function fill(select, years, value) {
  select.innerHTML = years.map((y) => `<option value="${y}"${y === value ? " selected" : ""}>${y}</option>`).join("");
}

const KINDS = {
  county: {
    label: "County (name or 5-digit GEOID)",
    placeholder: "e.g. Hampshire County, MA or 25015",
    form: "Prepare a county",
  },
  place: {
    label: "City, town or CDP (name or 7-digit GEOID)",
    placeholder: "e.g. Northampton city or 2546330",
    form: "Prepare a city or town",
  },
};

/** Wire the "Any US county or city" box; `onReady(region, start, end)` opens a prepared county or place. */
/** The finished steps of a prepare job as a short list ("land_cover 2011, land_cover 2013"), "" when none. */
function stepsDone(history, prefix) {
  const names = (history ?? []).filter((h) => h !== "starting").map((h) => h.split(":")[0]);
  return names.length ? `${prefix}${names.join(", ")}.` : "";
}

export async function setupCountyPicker({ onReady, showError }) {
  const box = $("#any-county");
  const info = await counties.info().catch(() => ({ enabled: false }));
  if (!info.enabled) return; // this server does not prepare counties: the box stays hidden
  box.hidden = false;
  watchSourcesStatus(box, $("#sources-status"));
  $("#prepare-kind").hidden = !info.places;
  fill($("#county-start"), info.years, info.default_start);
  fill($("#county-end"), info.years, info.default_end);
  let kind = "county";
  let countyList = null;
  let search = null; // over the counties, or over the places of the chosen state
  let picked = null; // {geoid, name, state, region}
  const status = (text) => {
    $("#county-status").textContent = text;
  };
  const input = $("#county-input");
  const matchList = createMatchList(input, $("#county-results"), { onPick: (item) => choose(item) });
  let retry = null; // what the Retry button does again (the same request)

  /** A failure in plain words (issue 26): the server's message, a Retry button, the technical detail behind
   * "Details"; `note` is added to the message. */
  function showFailure(err, again, note = "") {
    const f = err.failure;
    const message = f ? f.message : forPeople(err.message);
    $("#county-failure-message").textContent = note ? `${message} ${note}` : message;
    $("#county-failure-detail").textContent = f ? f.detail : err.message;
    $("#county-failure-details").hidden = !f;
    $("#county-failure-details").open = false;
    retry = again;
    $("#county-failure").hidden = false;
  }
  function clearFailure() {
    retry = null;
    $("#county-failure").hidden = true;
  }
  $("#county-retry").addEventListener("click", () => {
    const again = retry;
    clearFailure();
    again?.();
  });

  function useItems(items) {
    search = createSearch(items);
  }
  async function ensureCounties() {
    if (!countyList) countyList = await counties.list();
    return countyList;
  }
  async function useCounties() {
    const list = await ensureCounties();
    useItems(list.map((c) => ({ id: c.geoid, name: `${c.name}, ${c.state}`, kind: "county", c })));
  }
  async function fillStates() {
    const states = [...new Set((await ensureCounties()).map((c) => c.state))].sort();
    $("#place-state").innerHTML =
      `<option value="">choose…</option>` +
      states.map((s) => `<option value="${esc(s)}">${esc(stateLabel(s))}</option>`).join("");
  }
  /** The places of the chosen state, from the server (which reads Census TIGER once, then its cache). */
  async function usePlaces(state) {
    search = null;
    clearFailure();
    if (!state) return;
    status(`Loading the cities and towns of ${state} (Census TIGER) …`);
    try {
      const list = await counties.places(state);
      useItems(list.map((p) => ({ id: p.geoid, name: p.name, kind: "place", c: p })));
      status(`${list.length} places in ${state}: type a name.`);
    } catch (err) {
      status("");
      const offline = "The county list still works offline: choose “County” above.";
      const note = err.failure ? offline : `The cities and towns of ${state} cannot be loaded. ${offline}`;
      showFailure(err, () => usePlaces(state), note);
    }
  }
  function setKind(next) {
    kind = next;
    picked = null;
    search = null;
    input.value = "";
    input.title = "";
    matchList.hide();
    $("#county-input-label").textContent = KINDS[kind].label;
    input.placeholder = KINDS[kind].placeholder;
    $("#county-form").setAttribute("aria-label", KINDS[kind].form);
    $("#place-state-row").hidden = kind !== "place";
    status("");
    clearFailure();
    if (kind === "place") {
      fillStates().catch(showError);
    }
  }
  function choose(item) {
    picked = item.c;
    input.value = `${picked.name}, ${picked.state} (${picked.geoid})`;
    input.title = input.value; // the whole name, even where the box is narrow
    matchList.hide();
    $("#county-go").disabled = false;
    status(picked.region ? "Already prepared: opens at once." : "Not prepared yet: the server will fetch its public data.");
  }

  for (const radio of document.querySelectorAll('input[name="prepare-kind"]')) {
    radio.addEventListener("change", () => radio.checked && setKind(radio.value));
  }
  $("#place-state").addEventListener("change", (e) => {
    picked = null;
    input.value = "";
    matchList.hide();
    usePlaces(e.target.value);
  });
  $("#county-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      if (kind === "county" && !search) await useCounties();
      if (kind === "place" && !search) {
        status(
          $("#place-state").value
            ? `The cities and towns of ${$("#place-state").value} are not loaded: choose the state again.`
            : "Choose the state first.",
        );
        return;
      }
      if (!picked || !input.value.includes(picked.geoid)) {
        // the match highlighted in the list is the one prepared: no second search (issue 26 item 3)
        const found = matchList.highlighted() ? { hit: matchList.highlighted() } : search.find(input.value);
        if (found.hit) choose(found.hit);
        else {
          matchList.show(input.value, found.matches);
          status(found.matches.length ? "Pick one of the matches (↓ ↑ then Prepare)." : `Nothing matches “${input.value}”.`);
          return;
        }
      }
      const start = Number($("#county-start").value);
      const end = Number($("#county-end").value);
      if (!(start < end)) {
        status("Choose a start year before the end year.");
        return;
      }
      await prepare(picked, kind, start, end);
    } catch (err) {
      status("");
      showError(err);
    }
  });
  /** Prepare `item` (a county or place) for the years; a failure shows in the box with a Retry of the same. */
  async function prepare(item, itemKind, start, end) {
    clearFailure();
    $("#county-go").disabled = true;
    const bar = $("#county-progress");
    bar.hidden = false;
    bar.value = 0;
    const label = `${item.name}, ${item.state}`;
    const which = itemKind === "place" ? { place: item.geoid } : { county: item.geoid };
    try {
      const done = await prepareRegion(which, start, end, {
        onStep: (fraction, step, history) => {
          bar.value = fraction;
          status(`Preparing ${label}: ${step}${stepsDone(history, " — done: ")}`);
        },
      });
      bar.value = 1;
      status(`${label} is ready.${stepsDone(done.history, " Done: ")}`);
      item.region = done.region;
      await onReady(done.region, done.start, done.end);
    } catch (err) {
      status("");
      if (err.failure) showFailure(err, () => prepare(item, itemKind, start, end), `(${label}, ${start}–${end})`);
      else showError(err);
    } finally {
      $("#county-go").disabled = false;
      bar.hidden = true;
    }
  }
  let typed = 0;
  /** The matches of what is typed, listed as it is typed, the first highlighted. */
  async function listMatches() {
    const mine = ++typed;
    if (kind === "county" && !search) await useCounties();
    const q = input.value.trim();
    if (mine !== typed || !search) return;
    if (!q) return matchList.hide();
    const found = search.find(q);
    matchList.show(q, found.hit ? [found.hit] : found.matches);
  }
  input.addEventListener("input", () => {
    picked = null;
    input.title = input.value;
    listMatches().catch(showError);
  });
  box.dataset.ready = "true";
}
