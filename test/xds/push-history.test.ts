import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { PushHistory } from '../../src/xds';
import { convergenceSvg, niceCeiling } from '../../src/debug/convergence-svg';

const frame = (nonce: string, names = ['a']) => ({ typeUrl: TypeUrl.Route, nonce, names, removed: [], size: 10 });

describe('push history for the debug page (what pilot_xds_pushes and pilot_total_xds_rejects count, per event)', () => {
  it('keeps the newest pushes with their ACK or NACK, newest first, up to its bound', () => {
    let now = 1000;
    const h = new PushHistory({ maxPushes: 2, now: () => now });
    h.pushed('p1', frame('n1'));
    now = 2000;
    h.pushed('p1', frame('n2'));
    h.pushed('p2', frame('n3', ['x', 'y']));
    h.settled('n2', 'bad route');
    h.settled('n3');
    h.settled('n1'); // fell out of the list: nothing to update
    assert.deepEqual(
      h.recent().map((p) => [p.nonce, p.proxy, p.type, p.resources, p.outcome, p.error]),
      [
        ['n3', 'p2', 'RDS', 2, 'acked', undefined],
        ['n2', 'p1', 'RDS', 1, 'nacked', 'bad route'],
      ],
    );
  });

  it('keeps convergence samples for its window only', () => {
    let now = 0;
    const h = new PushHistory({ windowMs: 60_000, now: () => now });
    h.converged('p', 0.5);
    now = 30_000;
    h.converged('p', 1.5);
    now = 70_000;
    assert.deepEqual(
      h.convergence().map((s) => s.seconds),
      [1.5],
    );
  });
});

describe('convergence plot', () => {
  it('draws one dot per sample in the window, placed by time and seconds, names proxies escaped', () => {
    const now = 3_600_000;
    const svg = convergenceSvg(
      [
        { at: 0 - 1, proxy: 'old', seconds: 9 },
        { at: now - 1_800_000, proxy: 'a<b>', seconds: 1 },
        { at: now, proxy: 'c', seconds: 2 },
      ],
      now,
      3_600_000,
    );
    const dots = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    assert.equal(dots.length, 2);
    // Half way along the x axis, half way up for 1 s of a 2 s axis; the right edge at the top for 2 s.
    assert.deepEqual(dots, [
      [48 + 660 / 2, 24 + 168 / 2],
      [48 + 660, 24],
    ]);
    assert.match(svg, /<title>a&#60;b&#62;: 1\.00 s<\/title>/);
    assert.match(svg, /2 acknowledged pushes · p50 2\.00 s/);
    assert.doesNotMatch(svg, /old/);
  });

  it('says so when nothing was acknowledged', () => {
    assert.match(convergenceSvg([], 1, 1000), /no configuration acknowledged in this window/);
  });

  it('rounds the axis up to 1, 2 or 5 times a power of ten', () => {
    assert.deepEqual([0, 0.03, 0.7, 1, 1.2, 3, 7, 40].map(niceCeiling), [1, 0.05, 1, 1, 2, 5, 10, 50]);
  });
});
