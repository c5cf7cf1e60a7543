// The introspection page: plain HTML, CSS and script, served from this
// process (no build step, no library, no network beyond the debug port).
import { EXPLAIN_PARAMS } from '../explain-params';

const attr = (v: string) => v.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The explain form: a field for each parameter that has a placeholder, named as /debug/explain reads it. */
function explainFields(): string {
  return EXPLAIN_PARAMS.filter((p) => p.placeholder !== undefined)
    .map(
      (p) =>
        `      <label>${p.name} <input name="${p.name}" placeholder="${attr(p.placeholder ?? '')}"${p.size ? ` size="${p.size}"` : ''}></label>`,
    )
    .join('\n');
}

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>istiod-lite</title>
<link rel="stylesheet" href="/debug/page.css">
<link rel="icon" href="data:,">
<script src="/debug/page.js" defer></script>
</head>
<body>
<header>
  <h1>istiod-lite</h1>
  <span id="refreshed" class="muted">loading…</span>
</header>
<main>
  <section id="explain">
    <h2>Explain a request</h2>
    <form id="explain-form" autocomplete="off">
${explainFields()}
      <button type="submit">explain</button>
    </form>
    <div id="explain-result" class="muted">checking whether this server can explain requests…</div>
  </section>
  <section id="waypoints">
    <h2>Waypoints and what each serves</h2>
    <table><thead><tr><th>waypoint</th><th>for</th><th>ready</th><th>serves (why)</th></tr></thead><tbody></tbody></table>
    <details id="unbound"><summary>objects without a waypoint</summary><table><tbody></tbody></table></details>
  </section>
  <section id="proxies">
    <h2>Connected proxies</h2>
    <table><thead></thead><tbody></tbody></table>
  </section>
  <section id="convergence">
    <h2>Convergence time, last hour</h2>
    <div id="convergence-plot"></div>
  </section>
  <section id="pushes">
    <h2>Recent pushes and NACKs</h2>
    <table><thead><tr><th>time</th><th>proxy</th><th>type</th><th>resources</th><th>bytes</th><th>answer</th></tr></thead><tbody></tbody></table>
  </section>
</main>
</body>
</html>
`;

export const PAGE_CSS = `body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fff; }
header { display: flex; align-items: baseline; gap: 1em; padding: 0.6em 1.2em; background: #1f3a5f; color: #fff; }
header h1 { font-size: 1.2em; margin: 0; }
header .muted { color: #c8d3e0; }
main { padding: 0 1.2em 2em; max-width: 1100px; }
h2 { font-size: 1.05em; margin: 1.4em 0 0.4em; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.25em 0.6em; border-bottom: 1px solid #e4e4e4; vertical-align: top; }
th { font-weight: 600; background: #f4f6f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: #777; }
.ok { color: #1a7f37; }
.bad { color: #b42318; font-weight: 600; }
.warn { color: #9a6700; }
.reason { color: #555; font-size: 0.9em; }
ul.served { margin: 0; padding-left: 1.1em; }
form { display: flex; flex-wrap: wrap; gap: 0.6em; align-items: end; }
label { display: flex; flex-direction: column; font-size: 0.85em; color: #555; }
input { font: inherit; padding: 0.2em 0.4em; }
#explain-result { margin-top: 0.6em; }
#explain-verdict { font-size: 1.05em; margin: 0.4em 0; }
ol.journey { margin: 0; padding-left: 1.6em; }
ol.journey ul { margin: 0; padding-left: 1.1em; color: #555; font-size: 0.92em; }
pre { background: #f6f8fa; padding: 0.6em; overflow: auto; max-height: 24em; }
`;

export const PAGE_JS = String.raw`'use strict';
// Each section is one fetch of a /debug endpoint and one render; text is
// always set with textContent, never parsed as markup.

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

async function getJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(path + ': ' + res.status);
  return res.json();
}

function fill(tbody, rows, empty, columns) {
  tbody.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: String(columns), class: 'muted' }, empty))]));
}

const WHY = { object: 'its own istio.io/use-waypoint label', namespace: "its namespace's istio.io/use-waypoint label" };

async function renderWaypoints() {
  const amb = await getJson('/debug/ambientz');
  const why = new Map();
  const unbound = [];
  for (const b of amb.bindings) {
    if (b.waypoint) why.set(b.object.replace(/^[^/]+\//, ''), WHY[b.source] || b.source);
    else if (b.reason) unbound.push(b);
  }
  const rows = amb.waypoints.map((w) => {
    const served = [...w.services.map((s) => ['Service', s]), ...w.workloads.map((s) => ['Pod', s])];
    const list = el('ul', { class: 'served' }, ...served.map(([kind, name]) =>
      el('li', {}, kind + ' ' + name + ' ', el('span', { class: 'reason' }, '(' + (why.get(name) || 'bound') + ')'))));
    return el('tr', { 'data-waypoint': w.waypoint },
      el('td', {}, w.waypoint), el('td', {}, w.trafficType),
      el('td', { class: w.ready ? 'ok' : 'bad' }, w.ready ? 'yes' : 'no'),
      served.length ? el('td', {}, list) : el('td', { class: 'muted' }, 'nothing bound'));
  });
  fill(document.querySelector('#waypoints > table tbody'), rows, 'no waypoints', 4);
  fill(document.querySelector('#unbound tbody'), unbound.map((b) =>
    el('tr', {}, el('td', {}, b.object), el('td', { class: 'reason' }, b.reason + ': ' + (b.message || '')))), 'every object that asks for a waypoint has one', 2);
}

const STATUS_CLASS = { ACKED: 'ok', SYNCED: 'ok', NACKED: 'bad', ERROR: 'bad', STALE: 'warn', REQUESTED: 'warn' };

async function renderProxies() {
  const clients = await getJson('/debug/syncz?limit=1000');
  const types = [...new Set(clients.flatMap((c) => (c.genericXdsConfigs || []).map((g) => g.typeUrl)))].sort();
  const short = (t) => t.replace(/^.*\//, '').replace(/^.*\./, '');
  const thead = document.querySelector('#proxies thead');
  thead.replaceChildren(el('tr', {}, el('th', {}, 'proxy'), ...types.map((t) => el('th', { title: t }, short(t)))));
  const rows = clients.map((c) => {
    const byType = new Map((c.genericXdsConfigs || []).map((g) => [g.typeUrl, g]));
    return el('tr', { 'data-proxy': c.node.id }, el('td', {}, c.node.id), ...types.map((t) => {
      const g = byType.get(t);
      if (!g) return el('td', { class: 'muted' }, '—');
      const state = g.clientStatus === 'NACKED' ? 'NACKED' : g.configStatus || g.clientStatus || 'UNKNOWN';
      const cell = el('td', { class: STATUS_CLASS[state] || '', 'data-type': short(t) }, state);
      if (g.errorState && g.errorState.details) cell.title = g.errorState.details;
      return cell;
    }));
  });
  fill(document.querySelector('#proxies tbody'), rows, 'no proxy is connected', types.length + 1);
}

async function renderPushes() {
  const h = await getJson('/debug/pushz?limit=50');
  const rows = h.pushes.map((p) => el('tr', { class: p.outcome === 'nacked' ? 'nack' : '' },
    el('td', {}, new Date(p.at).toLocaleTimeString()), el('td', {}, p.proxy), el('td', {}, p.type),
    el('td', { class: 'num' }, p.resources + (p.removed ? ' (−' + p.removed + ')' : '')),
    el('td', { class: 'num' }, p.bytes),
    el('td', { class: p.outcome === 'nacked' ? 'bad' : p.outcome === 'acked' ? 'ok' : 'warn' },
      p.outcome === 'nacked' ? 'NACK: ' + (p.error || '') : p.outcome === 'acked' ? 'ACK' : 'no answer yet')));
  fill(document.querySelector('#pushes tbody'), rows, 'nothing pushed yet', 6);
}

async function renderConvergence() {
  const res = await fetch('/debug/convergence.svg');
  if (!res.ok) throw new Error('/debug/convergence.svg: ' + res.status);
  const doc = new DOMParser().parseFromString(await res.text(), 'image/svg+xml');
  document.getElementById('convergence-plot').replaceChildren(document.importNode(doc.documentElement, true));
}

// ---- explain ---------------------------------------------------------------
// The one place the page talks to explain. A server without the endpoint
// answers 404, and the section says explain is not available.
let explainAvailable = false;

async function explain(params) {
  const res = await fetch('/debug/explain?' + new URLSearchParams(params).toString(), { headers: { accept: 'application/json' } });
  if (res.status === 404) return { available: false };
  const body = await res.text();
  return { available: true, ok: res.ok, body };
}

function showExplain(content, cls) {
  const out = document.getElementById('explain-result');
  out.className = cls || '';
  out.replaceChildren(...(Array.isArray(content) ? content : [content]));
}

const GOOD = { forwarded: 'ok', 'tcp-forwarded': 'ok', redirect: 'ok', 'direct-response': 'ok', 'no-waypoint': 'warn' };

// The journey as numbered steps with their details, as explain's text output
// lists them, then the verdict.
function journeySteps(e) {
  const steps = [];
  const step = (title, line, details) => steps.push(el('li', { 'data-step': title }, el('strong', {}, title + ': '), line,
    ...(details && details.length ? [el('ul', {}, ...details.map((d) => el('li', {}, d)))] : [])));
  const r = e.request;
  const who = e.source.workload || e.source.ip || 'an unnamed caller';
  step('Request', (r.protocol === 'http' ? r.method + ' http://' + r.authority + r.path : 'a TCP connection') + ' from ' + who +
    (e.source.principal ? ' (' + e.source.principal + ')' : ''), Object.entries(r.headers || {}).map(([k, v]) => 'header ' + k + ': ' + v));
  const d = e.destination;
  if (d) step('Destination', d.kind + ' ' + d.namespace + '/' + d.name + (d.ip ? ' at ' + d.ip : '') + ' port ' + d.port);
  const w = e.waypoint;
  if (w) step('Waypoint', w.waypoint ? w.waypoint + (w.trafficType ? ' (for ' + w.trafficType + ' traffic)' : '') : 'none', [w.reason]);
  const j = e.journey;
  if (j) {
    step('Chain', j.listener + ' → ' + (j.chain || '(none)'), [...j.chainSteps, ...j.notes]);
    if (j.filters.length) step('Filters', j.filters.length + ' in order', j.filters.map((f) =>
      f.kind + ' ' + f.filter + ': ' + f.summary + (f.stops ? ' ← stops here' : '')));
    if (j.route) {
      const rt = j.route;
      step('Route', 'RouteConfiguration ' + rt.routeConfiguration + (rt.virtualHost ? ', virtual host ' + rt.virtualHost : ''), [
        ...rt.passed.map((p) => '#' + p.index + ' ' + (p.name || '') + ' [' + p.match + ']: no — ' + p.why),
        rt.route ? '#' + rt.route.index + ' ' + (rt.route.name || '') + ' [' + rt.route.match + ']: matched' + (rt.action ? ' → ' + rt.action : '') : 'no route matched',
      ]);
    }
    for (const c of j.clusters) {
      const weight = c.weight !== undefined ? ' weight ' + c.weight : '';
      if (!c.found) { step('Cluster', c.name + weight + ': not in CDS'); continue; }
      step('Cluster', c.name + ' (' + c.type + ')' + weight, c.originalDestination ? ["the connection's original destination"] :
        c.endpoints.length ? c.endpoints.map((ep) => 'endpoint ' + (ep.workload || ep.address) + ' ' + ep.health) : ['no endpoints']);
    }
  }
  return steps;
}

function renderExplanation(e) {
  const v = e.verdict;
  return [
    el('p', { id: 'explain-verdict', class: GOOD[v.outcome] || 'bad', 'data-outcome': v.outcome }, 'Answer: ' + v.summary),
    el('ol', { class: 'journey' }, ...journeySteps(e)),
  ];
}

async function checkExplain() {
  const list = await getJson('/debug');
  explainAvailable = list.some((r) => r.path === '/debug/explain');
  document.querySelector('#explain-form button').disabled = !explainAvailable;
  showExplain(explainAvailable ? 'give a request and press explain' : 'explain is not available on this server', 'muted');
}

document.addEventListener('DOMContentLoaded', () => {
  document.getElementById('explain-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const params = Object.fromEntries([...new FormData(ev.target).entries()].filter(([, v]) => v !== ''));
    try {
      const r = await explain(params);
      if (!r.available) return showExplain('explain is not available on this server', 'muted');
      let body;
      try { body = JSON.parse(r.body); } catch (e) { return showExplain(r.body, 'bad'); }
      if (!r.ok) return showExplain(body.error || r.body, 'bad');
      showExplain(renderExplanation(body));
    } catch (e) {
      showExplain(String(e), 'bad');
    }
  });
  checkExplain().catch((e) => showExplain(String(e), 'bad'));
  refresh();
  setInterval(refresh, 5000);
});

async function refresh() {
  const parts = [renderWaypoints, renderProxies, renderPushes, renderConvergence];
  const results = await Promise.allSettled(parts.map((f) => f()));
  const failed = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
  const stamp = document.getElementById('refreshed');
  stamp.textContent = 'updated ' + new Date().toLocaleTimeString() + (failed.length ? ' · ' + failed.join('; ') : '');
  stamp.className = failed.length ? 'bad' : 'muted';
  document.body.dataset.loaded = String((Number(document.body.dataset.loaded) || 0) + 1);
}
`;
