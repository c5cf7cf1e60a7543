// The human form of an explanation: the journey as numbered steps, then the answer.
import type { Explanation } from './explain';
import { describePolicy } from './rbac';

function requestLine(e: Explanation): string {
  const r = e.request;
  const who = e.source.workload ?? e.source.ip ?? 'an unnamed caller';
  const id = [e.source.ip && e.source.workload ? e.source.ip : undefined, e.source.principal]
    .filter(Boolean)
    .join(', ');
  const what =
    r.protocol === 'http'
      ? `${r.method} http://${r.authority}${r.path}${r.jwt ? ` with a JWT (${r.jwt === 'claims' ? 'claims given' : 'token given'})` : ''}`
      : 'a TCP connection';
  return `${what} from ${who}${id ? ` (${id})` : ''}`;
}

export function explanationText(e: Explanation): string {
  const out: string[] = [`Request: ${requestLine(e)}`];
  for (const [k, v] of Object.entries(e.request.headers ?? {})) out.push(`  header ${k}: ${v}`);
  if (e.configuration) out.push(`Configuration: ${e.configuration}`);
  let n = 0;
  const step = (title: string, line: string) => out.push(`${++n}. ${title.padEnd(12)}${line}`);
  const more = (line: string) => out.push(`${' '.repeat(15)}${line}`);
  const d = e.destination;
  if (d)
    step(
      'Destination',
      `${d.kind} ${d.namespace}/${d.name}${d.ip ? ` at ${d.ip}` : ''} port ${d.port}${d.portName ? ` (${d.portName})` : ''}`,
    );
  if (e.waypoint) {
    if (e.waypoint.waypoint) {
      step(
        'Waypoint',
        `${e.waypoint.waypoint}${e.waypoint.trafficType ? ` (for ${e.waypoint.trafficType} traffic)` : ''}`,
      );
      more(`why: ${e.waypoint.reason}`);
      if (e.waypoint.canary) more(`canary ${e.waypoint.canary} serves it too`);
    } else step('Waypoint', `none — ${e.waypoint.reason}`);
  }
  const j = e.journey;
  if (j) {
    step('Chain', `${j.listener} → ${j.chain ?? '(none)'}${j.chain ? ` (${j.protocol.toUpperCase()})` : ''}`);
    for (const s of j.chainSteps) more(s);
    for (const note of j.notes) more(note);
    if (j.filters.length > 0) {
      out.push(`${++n}. Filters`);
      for (const f of j.filters) {
        more(`${f.kind} ${f.filter}: ${f.summary}${f.stops ? '  ← stops here' : ''}`);
        for (const r of f.rbac ?? []) for (const m of r.matched) more(`  ${m}: ${describePolicy(m)}`);
      }
    }
    if (j.route) {
      const r = j.route;
      step(
        'Route',
        `RouteConfiguration ${r.routeConfiguration}${r.virtualHost ? `, virtual host ${r.virtualHost} (domain ${r.domain})` : ''}`,
      );
      for (const p of r.passed) more(`#${p.index} ${p.name ?? ''} [${p.match}]: no — ${p.why}`);
      if (r.route)
        more(`#${r.route.index} ${r.route.name ?? ''} [${r.route.match}]: matched${r.action ? ` → ${r.action}` : ''}`);
      else more('no route matched');
    }
    for (const c of j.clusters) {
      const w = c.weight !== undefined ? ` weight ${c.weight}` : '';
      if (!c.found) {
        step('Cluster', `${c.name}${w}: not in CDS`);
        continue;
      }
      step('Cluster', `${c.name} (${c.type})${w}`);
      if (c.originalDestination) more("endpoint: the connection's original destination");
      for (const ep of c.endpoints) more(`endpoint ${ep.workload ?? ep.address} ${ep.health}`);
      if (!c.originalDestination && c.endpoints.length === 0) more('no endpoints');
    }
  }
  out.push('', `Answer: ${e.verdict.summary}`);
  return `${out.join('\n')}\n`;
}
