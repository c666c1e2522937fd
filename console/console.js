// Sieve console: polls the broker's JSON API (docs/observability.md, "Web console") once a
// second and renders it with DOM calls only (text goes in as text, never as HTML).
"use strict";

const POLL_MS = 1000;
const $ = (id) => document.getElementById(id);
let timer = null;

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props || {});
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const num = (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US"));
const rate = (r) => (r > 0 ? r.toFixed(r < 10 ? 1 : 0) : "0");
function duration(s) {
  if (s === null || s === undefined) return "—";
  s = Math.round(s);
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
  return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}
const active = (state) => state === "open" || state === "sealed";
function progressText(job) {
  if (!job.total_rows) return num(job.done_rows) + " rows (total not known yet)";
  const pct = Math.floor((100 * job.done_rows) / job.total_rows);
  return num(job.done_rows) + " / " + num(job.total_rows) + " rows (" + pct + "%)";
}
function progressBar(job, label) {
  const bar = el("progress", { max: job.total_rows || 1, value: job.total_rows ? job.done_rows : 0 });
  bar.setAttribute("aria-label", label);
  return bar;
}
const tokens = (job) =>
  job.tokens && (job.tokens.prompt || job.tokens.completion)
    ? num(job.tokens.prompt + job.tokens.completion) : "—";
const cost = (job) => (job.cost === undefined ? "—" : "$" + Number(job.cost).toFixed(4));

async function getJson(path) {
  const res = await fetch(path, { cache: "no-store" });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.status + " " + res.statusText);
  return body;
}

function show(view) {
  for (const id of ["view-jobs", "view-job", "view-workers", "view-limits"]) {
    $(id).hidden = id !== view;
  }
}

function renderJobs(data) {
  const filter = $("state-filter").value;
  const rows = data.jobs.filter((j) =>
    !filter || j.state === filter || (filter === "active" && active(j.state)));
  const body = $("jobs").tBodies[0];
  body.replaceChildren(...rows.map((j) => {
    const name = j.name || j.job_id;
    const tr = el("tr", {},
      el("td", {}, el("a", { href: "#/jobs/" + j.job_id }, name)),
      // A paused job says why (the endpoint's refusal) where its state is shown.
      el("td", { className: "state-" + j.state, title: j.message || "" }, j.state,
         ...(j.state === "paused" && j.message
           ? [el("div", { className: "why" }, j.message)] : [])),
      el("td", { className: "progress" }, progressBar(j, "progress of " + name), " ",
         el("span", {}, progressText(j))),
      el("td", { className: "num" }, rate(j.rows_per_s)),
      el("td", {}, duration(j.eta_s)),
      el("td", { className: "num errors" }, num(j.error_rows)),
      el("td", { className: "num" }, num(j.cached_rows)),
      el("td", { className: "num" }, tokens(j)),
      el("td", { className: "num" }, cost(j)));
    tr.dataset.job = j.job_id;
    return tr;
  }));
  $("jobs-empty").hidden = rows.length > 0;
}

function renderWorkers(data) {
  $("workers").tBodies[0].replaceChildren(...data.workers.map((w) =>
    el("tr", {}, el("td", {}, w.name), el("td", {}, w.address),
       el("td", { className: "num" }, num(w.leases)),
       el("td", { className: "num" }, num(w.in_flight)),
       el("td", { className: "num" }, num(w.concurrency)),
       el("td", { className: "num" }, rate(w.rows_per_s)),
       el("td", { className: "num" }, num(w.rows_done)),
       el("td", {}, (w.last_heartbeat_age_ms / 1000).toFixed(1) + " s ago"),
       el("td", {}, w.version || "—"))));
  $("workers-empty").hidden = data.workers.length > 0;
}

function renderLimits(data) {
  $("limits").tBodies[0].replaceChildren(...data.limits.map((l) =>
    el("tr", {}, el("td", {}, l.key), el("td", {}, l.limit),
       el("td", { className: "num" }, rate(l.rate) + "/s"), el("td", { className: "num" }, num(l.pauses)))));
  $("limits").hidden = data.limits.length === 0;
  $("limits-empty").hidden = data.limits.length > 0;
}

// Rows/s over a sliding window of CHART_WINDOW samples (~5 s): rows commit a chunk at a time,
// so the rate between two neighbouring samples jumps between 0 and a chunk per second.
const CHART_WINDOW = 5;
function chart(history) {
  const points = [];
  for (let i = 1; i < history.length; i++) {
    const [t0, d0] = history[Math.max(0, i - CHART_WINDOW)];
    const [t1, d1] = history[i];
    if (t1 > t0) points.push([t1, Math.max(0, ((d1 - d0) * 1000) / (t1 - t0))]);
  }
  if (points.length < 2) return el("p", {}, "Not enough samples yet.");
  const W = 600, H = 160, P = 30;
  const t0 = points[0][0], t1 = points[points.length - 1][0];
  const top = Math.max(1, ...points.map((p) => p[1]));
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `rows per second over the last ${Math.round((t1 - t0) / 1000)} s, peak ${rate(top)}`);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", points.map(([t, r]) =>
    `${P + ((t - t0) / Math.max(1, t1 - t0)) * (W - 2 * P)},${H - P - (r / top) * (H - 2 * P)}`).join(" "));
  const label = (x, y, text) => {
    const node = document.createElementNS(ns, "text");
    node.setAttribute("x", x); node.setAttribute("y", y); node.textContent = text;
    return node;
  };
  svg.append(line, label(2, P - 8, rate(top) + " rows/s"), label(2, H - 8, "0"),
             label(W - 90, H - 8, Math.round((t1 - t0) / 1000) + " s shown"));
  return svg;
}

function renderJob(job) {
  $("job-title").textContent = "Job " + (job.name || job.job_id);
  $("job-summary").textContent = `${job.job_id} · ${job.state} · ${rate(job.rows_per_s)} rows/s · ETA ${duration(job.eta_s)} · ${num(job.error_rows)} errors · cached ${num(job.cached_rows)} · tokens ${tokens(job)} · cost ${cost(job)}`;
  $("job-summary").className = "state-" + job.state;
  $("job-progress").max = job.total_rows || 1;
  $("job-progress").value = job.total_rows ? job.done_rows : 0;
  $("job-rows").textContent = progressText(job);
  $("job-message").textContent = job.message || "";
  $("chart").replaceChildren(chart(job.history));
  const counts = { q: 0, l: 0, c: 0, f: 0 };
  for (const c of job.chunks) counts[c]++;
  $("chunk-counts").textContent = `${counts.q} queued, ${counts.l} leased, ${counts.c} committed, ${counts.f} failed`;
  $("chunk-strip").setAttribute("aria-label", $("chunk-counts").textContent);
  $("chunk-strip").replaceChildren(...Array.from(job.chunks, (c, i) =>
    el("span", { className: "c-" + c, title: "chunk " + i })));
  const endpoints = job.endpoints || [];
  $("endpoints-section").hidden = endpoints.length === 0;
  $("endpoints").tBodies[0].replaceChildren(...endpoints.map((e) =>
    el("tr", {}, el("td", {}, e.endpoint), el("td", { className: "num" }, num(e.answered)),
       el("td", { className: "num" }, num(e.failed)), el("td", { className: "num" }, num(e.rate_limited)),
       el("td", { className: "num" }, num(e.refused)),
       el("td", { className: "num" }, e.cooling_workers + (e.cooling_workers === 1 ? " worker" : " workers")))));
  $("failed-rows").tBodies[0].replaceChildren(...job.failed_rows.map((r) =>
    el("tr", {}, el("td", { className: "num" }, num(r.row)), el("td", { className: "reason" }, r.reason))));
  $("failed-empty").hidden = job.failed_rows.length > 0;
  const spec = $("spec");
  spec.replaceChildren();
  for (const [key, value] of Object.entries(job.spec || {})) {
    const text = Array.isArray(value) ? value.join(", ") : String(value);
    spec.append(el("dt", {}, key.replace(/_/g, " ")), el("dd", {}, text === "" ? "—" : text));
  }
  renderActions(job);
}

function renderActions(job) {
  const on = job.actions.length > 0;
  $("actions-off").hidden = on;
  $("actions").hidden = !on;
  const buttons = $("action-buttons");
  if (buttons.dataset.job === job.job_id && buttons.dataset.state === job.state) return;
  buttons.dataset.job = job.job_id;
  buttons.dataset.state = job.state;
  buttons.replaceChildren(...job.actions.map((name) => {
    const b = el("button", { type: "button", id: "action-" + name,
                             className: name === "cancel" ? "danger" : "" }, name + " job");
    b.disabled = name === "cancel" && !active(job.state);
    b.addEventListener("click", () => act(job.job_id, name));
    return b;
  }));
}

async function act(jobId, name) {
  const token = $("token").value.trim();
  const out = $("action-result");
  if (!token) { out.textContent = "Paste the console token first."; $("token").focus(); return; }
  sessionStorage.setItem("sieve-console-token", token);  // this tab only, never a cookie
  out.textContent = name + "…";
  try {
    const res = await fetch(`/api/v1/console/jobs/${jobId}/${name}`, {
      method: "POST", cache: "no-store",
      headers: { "Authorization": "Bearer " + token, "Content-Type": "application/json" },
      body: JSON.stringify({ by: $("by").value }) });
    const body = await res.json();
    out.textContent = res.ok ? `${name}: done` : `${name} refused: ${body.error}`;
  } catch (e) {
    out.textContent = `${name} failed: ${e.message}`;
  }
  refresh();
}

async function refresh() {
  clearTimeout(timer);
  const hash = location.hash || "#/";
  try {
    const job = hash.match(/^#\/jobs\/(j[0-9a-f]{16})$/);
    if (job) {
      renderJob(await getJson("/api/v1/console/jobs/" + job[1]));
      show("view-job");
    } else {
      const data = await getJson("/api/v1/console");
      if (hash === "#/workers") { renderWorkers(data); show("view-workers"); }
      else if (hash === "#/limits") { renderLimits(data); show("view-limits"); }
      else { renderJobs(data); show("view-jobs"); }
    }
    $("live").textContent = "Updated " + new Date().toLocaleTimeString("en-GB");
  } catch (e) {
    $("live").textContent = "Cannot reach the broker: " + e.message;
  }
  if (!document.hidden) timer = setTimeout(refresh, POLL_MS);
}

window.addEventListener("hashchange", () => { refresh(); $("main").focus(); });
document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
$("state-filter").addEventListener("change", refresh);
$("token").value = sessionStorage.getItem("sieve-console-token") || "";
refresh();
