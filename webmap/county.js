// "Any US county": pick a county of the conterminous US (offline Census list, typo-tolerant search) and two years;
// the server fetches the public layers and computes the inventory, showing each step; the prepared county then
// opens like any other region (issue 14 item 1). The client names a GEOID and years, never a URL or a path.

import { counties, prepareCounty } from "./api.js";
import { createSearch, renderMatches } from "./search.js";

const $ = (sel) => document.querySelector(sel);

function fill(select, years, value) {
  select.innerHTML = years.map((y) => `<option value="${y}"${y === value ? " selected" : ""}>${y}</option>`).join("");
}

/** Wire the "Any US county" box; `onReady(region, start, end)` opens a prepared county. */
export async function setupCountyPicker({ onReady, showError }) {
  const box = $("#any-county");
  const info = await counties.info().catch(() => ({ enabled: false }));
  if (!info.enabled) return; // this server does not prepare counties: the box stays hidden
  box.hidden = false;
  fill($("#county-start"), info.years, info.default_start);
  fill($("#county-end"), info.years, info.default_end);
  let list = null;
  let search = null;
  const byId = new Map();
  let picked = null;
  const status = (text) => {
    $("#county-status").textContent = text;
  };
  async function ensureList() {
    if (!list) {
      list = await counties.list();
      const items = list.map((c) => ({ id: c.geoid, name: `${c.name}, ${c.state}`, kind: "county", c }));
      for (const it of items) byId.set(it.id, it);
      search = createSearch(items);
    }
  }
  function choose(item) {
    picked = item.c;
    $("#county-input").value = `${picked.name}, ${picked.state} (${picked.geoid})`;
    $("#county-results").hidden = true;
    $("#county-go").disabled = false;
    status(picked.region ? "Already prepared: opens at once." : "Not prepared yet: the server will fetch its public data.");
  }
  $("#county-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await ensureList();
      if (!picked || !$("#county-input").value.includes(picked.geoid)) {
        const found = search.find($("#county-input").value);
        if (found.hit) choose(found.hit);
        else {
          renderMatches($("#county-results"), $("#county-input").value, found.matches, (id) => choose(byId.get(id)));
          return;
        }
      }
      const start = Number($("#county-start").value);
      const end = Number($("#county-end").value);
      if (!(start < end)) {
        status("Choose a start year before the end year.");
        return;
      }
      $("#county-go").disabled = true;
      const bar = $("#county-progress");
      bar.hidden = false;
      const done = await prepareCounty(picked.geoid, start, end, {
        onStep: (fraction, step) => {
          bar.value = fraction;
          status(`Preparing ${picked.name}, ${picked.state}: ${step}`);
        },
      });
      bar.value = 1;
      status(`${picked.name}, ${picked.state} is ready.`);
      picked.region = done.region;
      await onReady(done.region, done.start, done.end);
    } catch (err) {
      status("");
      showError(err);
    } finally {
      $("#county-go").disabled = false;
      $("#county-progress").hidden = true;
    }
  });
  $("#county-input").addEventListener("input", () => {
    picked = null;
  });
  box.dataset.ready = "true";
}
