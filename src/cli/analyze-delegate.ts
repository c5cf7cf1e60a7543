import { list, type World } from '../model';
import { DEFAULT_OPTIONS } from '../translate';
import { mergedHttpRules, type DelegateProblem } from '../translate/route/vs-delegate';
import { defaultVirtualServiceExportTo } from '../translate/route/vs-export';
import type { Message } from './analyze';
import { CODE } from './analyze-codes';

// Delegating rules that contribute nothing. istiod only logs these
// (virtualservice_controller.go: mergeVirtualServices; virtualservice.go:
// mergeHTTPRoute); istioctl has no analyzer for them.

function text(p: DelegateProblem): string {
  const ref = `${p.namespace}/${p.name}`;
  switch (p.kind) {
    case 'not-found':
      return `delegate VirtualService ${ref} not found (a delegate is a VirtualService without hosts): its rule is left out`;
    case 'not-exported':
      return `delegate VirtualService ${ref} is not exported to this namespace: its rule is left out`;
    case 'conflict':
      return `delegate VirtualService ${ref} rule "${p.delegate}" matches outside root rule "${p.root}": it is left out`;
  }
}

export function analyzeDelegates(world: World): Message[] {
  const defaults = defaultVirtualServiceExportTo(world, DEFAULT_OPTIONS.rootNamespace);
  const out: Message[] = [];
  for (const vs of list(world, 'VirtualService')) {
    const at = { kind: 'VirtualService', namespace: vs.metadata.namespace, name: vs.metadata.name };
    for (const p of mergedHttpRules(world, vs, DEFAULT_OPTIONS.domain, defaults).problems)
      out.push({ level: 'Warning', code: CODE.unusableDelegate, ...at, text: text(p) });
  }
  return out;
}
