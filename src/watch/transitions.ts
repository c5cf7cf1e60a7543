import { crds, type KubeObject } from '../model';
import type { SourceError } from './source';

/**
 * An edit checked as the API server checks an update: the CRD's transition
 * rules (those naming `oldSelf`) against the last good version of the object;
 * refused, that version stays.
 */
export function transitionRefusal(
  file: string,
  d: { object: KubeObject; line: number },
  last: KubeObject,
): SourceError | undefined {
  const problems = crds.transitionProblems(d.object, last);
  if (problems.length === 0) return undefined;
  const { kind, metadata } = d.object;
  return {
    source: 'directory',
    file,
    line: d.line,
    kind,
    namespace: metadata.namespace,
    name: metadata.name,
    message: problems.join('; '),
  };
}
