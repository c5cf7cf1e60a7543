import { matchesLabels, type Service } from '../../model';
import { derive } from '../derived';

// Which of a namespace's Services select a pod, without testing every
// Service against every pod: building the workload API tested each of a
// namespace's Services against each of its pods (5 million selector tests
// at 10,000 services and 50,000 pods). A Service selects a pod only if the
// pod carries its selector's first label, so the Services are grouped by
// that label once per namespace list (the list keeps its identity while no
// Service in the namespace changes), and only that group is tested.

interface ByFirstLabel {
  services: readonly Service[];
  /** `key\0value` of each selector's first label → indices into `services`, ascending. */
  groups: Map<string, number[]>;
}

const indexOf = derive((services: readonly Service[]): ByFirstLabel => {
  const groups = new Map<string, number[]>();
  services.forEach((svc, i) => {
    const sel = svc.spec?.selector;
    if (!sel) return;
    for (const k in sel) {
      const g = `${k}\u0000${sel[k]}`;
      const list = groups.get(g);
      if (list) list.push(i);
      else groups.set(g, [i]);
      break;
    }
  });
  return { services, groups };
});

/**
 * The Services of `services` whose non-empty selector matches `labels`, in
 * the order of `services`: the same as filtering it with matchesLabels, as
 * istiod's pod workloads pick their services (ambient/workloads.go:
 * podWorkloadBuilder, the namespace's services with FilterSelectsNonEmpty).
 */
export function servicesSelecting(services: readonly Service[], labels: Readonly<Record<string, string>>): Service[] {
  const { groups } = indexOf(services);
  let found: number[] | undefined;
  for (const k in labels) {
    const g = groups.get(`${k}\u0000${labels[k]}`);
    if (!g) continue;
    found = found ? found.concat(g) : g.slice();
  }
  if (!found) return [];
  found.sort((a, b) => a - b);
  const out: Service[] = [];
  let last = -1;
  for (const i of found) {
    if (i === last) continue;
    last = i;
    const svc = services[i] as Service;
    if (matchesLabels(svc.spec?.selector, labels)) out.push(svc);
  }
  return out;
}
