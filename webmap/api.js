// Thin client of the LEARN Navigator HTTP API (see api/ and the README). Every URL is relative so the map
// works wherever the service mounts it; errors become ApiError with the server's `detail` message.

export class ApiError extends Error {
  /** `failure`: the server's plain-words {reason, message, detail} when a public source failed (issue 26). */
  constructor(message, status, failure = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.failure = failure;
  }
}

async function errorFrom(response) {
  let detail = `${response.status} ${response.statusText}`.trim();
  let failure = null;
  try {
    const body = await response.json();
    if (body && body.detail !== undefined) {
      detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    }
    failure = body?.failure ?? null;
  } catch {
    /* not JSON: keep the status line */
  }
  return new ApiError(detail, response.status, failure);
}

export async function request(url, options = {}) {
  let response;
  try {
    response = await fetch(url, options);
  } catch (err) {
    throw new ApiError(`cannot reach the server (${err.message})`, 0);
  }
  if (!response.ok) throw await errorFrom(response);
  return response;
}

export async function getJSON(url, options) {
  return (await request(url, options)).json();
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

const enc = encodeURIComponent;

export const api = {
  regions: () => getJSON("api/regions"),
  region: (region) => getJSON(`api/regions/${enc(region)}`),
  boundaries: (region, q) => getJSON(`api/regions/${enc(region)}/boundaries${query({ q })}`),
  summary: (region, start, end) => getJSON(`api/regions/${enc(region)}/summary${query({ start, end })}`),
  inventory: (region, boundary, start, end) =>
    getJSON(`api/regions/${enc(region)}/inventory${query({ boundary, start, end })}`),
  trend: (region, boundary) => getJSON(`api/regions/${enc(region)}/trend${query({ boundary })}`),
  area: (region, id) => getJSON(`api/regions/${enc(region)}/areas/${enc(id)}`),
  areaInventory: (region, id, start, end) =>
    getJSON(`api/regions/${enc(region)}/areas/${enc(id)}/inventory${query({ start, end })}`),
  areaDownloadUrl: (region, id, start, end, ext) =>
    `api/regions/${enc(region)}/areas/${enc(id)}/inventory.${ext}${query({ start, end })}`,
  downloadUrl: (region, boundary, start, end, ext) =>
    `api/regions/${enc(region)}/inventory.${ext}${query({ boundary, start, end })}`,
  jsonUrl: (region, boundary, start, end) =>
    `api/regions/${enc(region)}/inventory${query({ boundary, start, end })}`,
  tileUrl: (region, layer, params) => `tiles/${enc(region)}/${enc(layer)}/{z}/{x}/{y}.png${query(params)}`,
  tileJson: (region, layer, params) => getJSON(`tiles/${enc(region)}/${enc(layer)}/tilejson.json${query(params)}`),
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function retryAfterMs(response, fallback = 1000) {
  const v = Number(response.headers.get("Retry-After"));
  return Number.isFinite(v) && v >= 0 ? Math.min(Math.max(v * 1000, 200), 30000) : fallback;
}

/** POST a polygon or a file and resolve to its report (see postArea). */
export async function postInventory(region, start, end, body, options = {}) {
  return (await postArea(region, start, end, body, options)).report;
}

/**
 * POST a polygon (GeoJSON object) or a file (File) and resolve to {report, areaId}: the server keeps the polygon
 * under `areaId` (header Learn-Area-Id; null if it could not) for its link. A 202 answer is a job: poll its URL,
 * waiting Retry-After seconds between polls; `onProgress(fraction | null, status)` reports.
 */
export async function postArea(region, start, end, body, { onProgress, timeoutMs = 600000 } = {}) {
  const url = `api/regions/${enc(region)}/inventory${query({ start, end })}`;
  const options = { method: "POST" };
  if (body instanceof Blob) {
    const form = new FormData();
    form.append("file", body, body.name || "boundary");
    options.body = form;
  } else {
    options.headers = { "Content-Type": "application/json" };
    options.body = JSON.stringify(body);
  }
  const response = await request(url, options);
  const areaId = response.headers.get("Learn-Area-Id");
  if (response.status !== 202) return { report: await response.json(), areaId };
  const accepted = await response.json();
  const jobUrl = response.headers.get("Location") || `api/jobs/${enc(accepted.job_id)}`;
  const jobHref = jobUrl.startsWith("/") ? jobUrl.slice(1) : jobUrl; // keep it relative to the page
  let wait = retryAfterMs(response);
  const deadline = Date.now() + timeoutMs;
  onProgress?.(0, "queued");
  while (Date.now() < deadline) {
    await sleep(wait);
    const r = await request(jobHref);
    const job = await r.json();
    onProgress?.(job.progress ?? null, job.status);
    if (job.result) return { report: job.result, areaId: areaId ?? accepted.area_id ?? null };
    if (job.status === "failed" || job.status === "error" || job.error) {
      throw new ApiError(job.error || "the job failed", 500);
    }
    if (["done", "finished", "succeeded", "complete", "completed"].includes(job.status)) {
      throw new ApiError("the job finished without a report", 500);
    }
    wait = retryAfterMs(r, wait);
  }
  throw new ApiError("the job did not finish in time; try again later", 504);
}

/**
 * Prepare any US county (`{ county: "25015" }`) or place (`{ place: "2546330" }`) for two years: the server fetches
 * the public layers and computes the inventory in the background. Resolves to the finished status ({region, start,
 * end, history}); `onStep(fraction, text, history)` reports each step ("land_cover 2011: 40 %") and the steps finished
 * so far (the server keeps them, so a slow poll misses none). One already prepared answers at once.
 */
export async function prepareRegion(which, start, end, { onStep, timeoutMs = 3600000 } = {}) {
  const response = await request("api/prepare", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ...which, start, end }),
  });
  let status = await response.json();
  let wait = retryAfterMs(response, 1000);
  const deadline = Date.now() + timeoutMs;
  while (status.status !== "done") {
    if (status.status === "error") {
      throw new ApiError(status.error || `${status.label} could not be prepared`, 502, status.failure ?? null);
    }
    onStep?.(status.progress ?? 0, status.step || status.status, status.history ?? []);
    if (Date.now() > deadline) throw new ApiError(`preparing ${status.label} did not finish in time; try again later`, 504);
    await sleep(wait);
    const r = await request(`api/prepare/${enc(status.job_id)}`);
    status = await r.json();
    wait = retryAfterMs(r, wait);
  }
  onStep?.(1, "done");
  return status;
}

/** Prepare a county by its 5-digit GEOID (see prepareRegion). */
export const prepareCounty = (county, start, end, options) => prepareRegion({ county }, start, end, options);

/** The server's last check of the public data sources (`learn sources check`), run in the background on demand. */
export const sourcesStatus = (refresh) => getJSON(`api/sources/status${query({ refresh })}`);

export const counties = {
  info: () => getJSON("api/prepare"),
  list: () => getJSON("api/counties"),
  /** The places (cities, towns, CDPs) of a state (postal code or FIPS), read by the server from Census TIGER. */
  places: (state) => getJSON(`api/places${query({ state })}`),
};
