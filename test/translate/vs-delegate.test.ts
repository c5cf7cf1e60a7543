import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { analyzeDelegates } from '../../src/cli/analyze-delegate';
import { formatMessage } from '../../src/cli/analyze';
import {
  applyChanges,
  EMPTY_WORLD,
  kindInfo,
  type VirtualService,
  type VirtualServiceSpec,
  type VsHttpRoute,
} from '../../src/model';
import { mergedHttpRules } from '../../src/translate/route/vs-delegate';

const vs = (namespace: string, name: string, spec: VirtualServiceSpec): VirtualService => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name, namespace },
  spec,
});
const worldOf = (...objects: VirtualService[]) =>
  applyChanges(
    EMPTY_WORLD,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  ).world;
const D = 'cluster.local';
const to = (host: string) => [{ destination: { host } }];
const rootOf = (rule: VsHttpRoute) => vs('app', 'root', { hosts: ['echo'], http: [rule] });
const merge = (rule: VsHttpRoute, ...delegates: VirtualService[]) => {
  const root = rootOf(rule);
  return mergedHttpRules(worldOf(root, ...delegates), root, D, ['*']);
};

describe('VirtualService delegate (virtualservice.go: MergeHTTPRoutes, mergeHTTPRoute)', () => {
  it('narrows the root match with the delegate match, joins names, fills unset fields from the root', () => {
    const got = merge(
      {
        name: 'r',
        match: [{ name: 'm', uri: { prefix: '/api' }, headers: { a: { exact: '1' } } }],
        timeout: '3s',
        delegate: { name: 'd', namespace: 'team' },
      },
      vs('team', 'd', {
        http: [
          {
            name: 'x',
            match: [{ name: 'n', uri: { exact: '/api/x' }, headers: { b: { prefix: 'p' } } }],
            route: to('svc'),
          },
          { name: 'y', timeout: '1s', route: to('svc.other.svc.cluster.local') },
        ],
      }),
    );
    assert.deepEqual(got.problems, []);
    assert.deepEqual(got.rules, [
      {
        name: 'r-x',
        match: [{ name: 'm-n', uri: { exact: '/api/x' }, headers: { a: { exact: '1' }, b: { prefix: 'p' } } }],
        // A short host is completed in the delegate's namespace, not the root's.
        route: to('svc.team.svc.cluster.local'),
        timeout: '3s',
      },
      {
        name: 'r-y',
        match: [{ name: 'm', uri: { prefix: '/api' }, headers: { a: { exact: '1' } } }],
        route: to('svc.other.svc.cluster.local'),
        timeout: '1s',
      },
    ]);
  });

  it('drops a delegate rule whose match fits no root match (hasConflict, stringMatchConflict)', () => {
    const leaf = (name: string, m: VsHttpRoute['match']) => ({ name, match: m, route: to('svc') });
    const got = merge(
      {
        name: 'r',
        match: [
          { uri: { prefix: '/a' }, headers: { h: { exact: '1' } } },
          { uri: { prefix: '/b' }, headers: { h: { exact: '1' } } },
        ],
        delegate: { name: 'd' },
      },
      vs('app', 'd', {
        http: [
          leaf('outside', [{ uri: { prefix: '/c' } }]),
          leaf('regex', [{ uri: { regex: '/a.*' } }]),
          leaf('header', [{ uri: { prefix: '/a/x' }, headers: { h: { exact: '2' } } }]),
          leaf('case', [{ uri: { prefix: '/a/x' }, ignoreUriCase: true }]),
          leaf('only-b', [{ uri: { prefix: '/b/c' } }]),
        ],
      }),
    );
    assert.deepEqual(
      got.rules.map((r) => [r.name, r.match?.map((m) => m.uri?.prefix)]),
      [['r-only-b', ['/b/c']]],
    );
    assert.deepEqual(
      got.problems.map((p) => p.kind === 'conflict' && p.delegate),
      ['outside', 'regex', 'header', 'case'],
    );
  });

  it('leaves out a delegating rule whose delegate is missing, has hosts, or is not exported to the root', () => {
    const root = vs('app', 'root', {
      hosts: ['echo'],
      http: [
        { name: 'a', delegate: { name: 'gone' } },
        { name: 'b', delegate: { name: 'rooty' } },
        { name: 'c', delegate: { name: 'private', namespace: 'team' } },
        { name: 'd', delegate: { name: 'shared', namespace: 'team' } },
        { name: 'e', route: to('echo') },
      ],
    });
    const world = worldOf(
      root,
      vs('app', 'rooty', { hosts: ['other'], http: [{ route: to('x') }] }),
      vs('team', 'private', { exportTo: ['.'], http: [{ route: to('x') }] }),
      vs('team', 'shared', { exportTo: ['app'], http: [{ route: to('x') }] }),
    );
    const got = mergedHttpRules(world, root, D, ['*']);
    assert.deepEqual(
      got.rules.map((r) => [r.name, r.route?.[0]?.destination.host]),
      [
        ['d', 'x.team.svc.cluster.local'],
        ['e', 'echo.app.svc.cluster.local'],
      ],
    );
    assert.deepEqual(analyzeDelegates(world).map(formatMessage), [
      'Warning [ISL0008] (VirtualService app/root) delegate VirtualService app/gone not found (a delegate is a VirtualService without hosts): its rule is left out',
      'Warning [ISL0008] (VirtualService app/root) delegate VirtualService app/rooty not found (a delegate is a VirtualService without hosts): its rule is left out',
      'Warning [ISL0008] (VirtualService app/root) delegate VirtualService team/private is not exported to this namespace: its rule is left out',
    ]);
    // The mesh default applies to a delegate without exportTo.
    const hidden = vs('team', 'd2', { http: [{ route: to('x') }] });
    const r2 = vs('app', 'r2', { hosts: ['echo'], http: [{ delegate: { name: 'd2', namespace: 'team' } }] });
    assert.equal(mergedHttpRules(worldOf(r2, hidden), r2, D, ['.']).problems[0]?.kind, 'not-exported');
  });

  it('refuses delegates with gateways, tcp, tls or a delegate of their own (validation.go: ValidateVirtualService)', () => {
    const o = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'd', namespace: 'team' },
      spec: {
        gateways: ['mesh'],
        http: [{ delegate: { name: 'other' } }],
        tcp: [{ route: to('x') }],
        tls: [{ match: [{ sniHosts: ['a.example.com'] }], route: to('x') }],
      },
    };
    assert.deepEqual(kindInfo('VirtualService')!.validate(o), [
      'spec.gateways: delegate virtual service must have no gateways specified',
      'spec.tls: delegate virtual service must have no tls route specified',
      'spec.tcp: delegate virtual service must have no tcp route specified',
      'spec.http[0].delegate: delegate HTTP route cannot contain delegate',
    ]);
  });
});
