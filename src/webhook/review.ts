// The validating admission webhook's decision, as istiod's
// (`pkg/webhooks/validation/server/server.go: validate`): objects of kinds we
// read are checked on CREATE and UPDATE with the same checks the load path
// runs, and refused with `configuration is invalid: …`; deletes and kinds we
// do not read are allowed.
import { problemsOf, resolveKind, type KubeObject } from '../model';

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string };
}

export interface AdmissionReviewOut {
  apiVersion: 'admission.k8s.io/v1';
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Thrown for a body that is not an AdmissionReview v1 request: the server answers 400. */
export class BadReview extends Error {}

/** Answers one AdmissionReview v1 request. */
export function review(body: unknown): AdmissionReviewOut {
  if (!isRecord(body) || body.kind !== 'AdmissionReview' || body.apiVersion !== 'admission.k8s.io/v1')
    throw new BadReview('expected an AdmissionReview of admission.k8s.io/v1');
  const req = body.request;
  if (!isRecord(req) || typeof req.uid !== 'string') throw new BadReview('request.uid: required');
  const answer = (allowed: boolean, message?: string): AdmissionReviewOut => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    response: { uid: req.uid as string, allowed, ...(message ? { status: { code: 400, message } } : {}) },
  });
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return answer(true);
  const obj = req.object;
  if (!isRecord(obj)) return answer(false, 'configuration is invalid: request.object: required');
  const info =
    typeof obj.apiVersion === 'string' && typeof obj.kind === 'string'
      ? resolveKind(obj.apiVersion, obj.kind)
      : undefined;
  if (!info) return answer(true);
  // The API server fills in the namespace from the URL; an object may still lack it in the body.
  const meta = isRecord(obj.metadata) ? obj.metadata : {};
  const named = {
    ...obj,
    metadata: {
      ...meta,
      ...(info.namespaced && typeof req.namespace === 'string' && !meta.namespace ? { namespace: req.namespace } : {}),
    },
  } as unknown as KubeObject;
  if (info.relevant && !info.relevant(named)) return answer(true);
  // An update is checked against the stored version, as the API server runs
  // the CRD's transition rules (those naming oldSelf); a create has none.
  const old = req.operation === 'UPDATE' && isRecord(req.oldObject) ? req.oldObject : undefined;
  const problems = problemsOf(info, named, old);
  return problems.length === 0 ? answer(true) : answer(false, `configuration is invalid: ${problems.join('; ')}`);
}
