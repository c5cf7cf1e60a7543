import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { blockMeans, driftPercent, pushLatencies, quantile } from '../../bench/churn-stats';

describe('W5 push latency', () => {
  // Clients 0 and 1 sit behind waypoint a, client 2 behind b.
  const clientWaypoint = ['ns-a/waypoint', 'ns-a/waypoint', 'ns-b/waypoint'];

  it('is the last response any of the waypoint’s clients received before its next edit, from the write', () => {
    const edits = [
      { tick: 1, waypoint: 'ns-a/waypoint', at: 1000 },
      { tick: 1, waypoint: 'ns-b/waypoint', at: 1001 },
      { tick: 2, waypoint: 'ns-a/waypoint', at: 2000 },
    ];
    const receipts = [
      { client: 0, at: 1150 },
      { client: 1, at: 1180 },
      { client: 1, at: 1240 }, // a second response for the same change: the last one counts
      { client: 2, at: 1300 },
      { client: 2, at: 900 }, // before the write: not this change's
      { client: 0, at: 2120 },
      { client: 1, at: 2110 },
    ];
    assert.deepEqual(pushLatencies(edits, receipts, clientWaypoint, 3000), [240, 299, 120]);
  });

  it('is missing when a client of the waypoint got nothing before the next edit (merged or no push)', () => {
    const edits = [
      { tick: 1, waypoint: 'ns-a/waypoint', at: 1000 },
      { tick: 2, waypoint: 'ns-a/waypoint', at: 2000 },
      { tick: 2, waypoint: 'ns-b/waypoint', at: 2001 },
    ];
    // Only client 0 heard of the first edit in time; both heard of the second; b heard nothing.
    const receipts = [
      { client: 0, at: 1100 },
      { client: 0, at: 2300 },
      { client: 1, at: 2350 },
    ];
    assert.deepEqual(pushLatencies(edits, receipts, clientWaypoint, 3000), [undefined, 350, undefined]);
  });

  it('ignores responses after the end of the run', () => {
    const edits = [{ tick: 1, waypoint: 'ns-b/waypoint', at: 1000 }];
    assert.deepEqual(pushLatencies(edits, [{ client: 2, at: 1500 }], clientWaypoint, 1400), [undefined]);
  });
});

describe('W5 figures', () => {
  it('RSS drift is the fitted change over the run as a share of the mean', () => {
    // 100 → 110 over 10 s, linearly: +10 over a mean of 105.
    const xs = Array.from({ length: 11 }, (_, i) => i);
    assert.ok(
      Math.abs(
        driftPercent(
          xs,
          xs.map((x) => 100 + x),
        ) -
          (100 * 10) / 105,
      ) < 1e-9,
    );
    assert.equal(
      driftPercent(
        xs,
        xs.map(() => 300),
      ),
      0,
    );
    // Noise around a flat line fits flat.
    assert.ok(
      Math.abs(
        driftPercent(
          xs,
          xs.map((x) => 300 + (x % 2 ? 5 : -5)),
        ),
      ) < 2,
    );
  });

  it('block means average whole blocks, so a sawtooth without growth reads flat whatever its phase', () => {
    const xs = Array.from({ length: 361 }, (_, i) => i);
    // A 60 s sawtooth 800 → 1,100, started mid-rise: the fit reads a trend, the block means do not.
    const saw = xs.map((x) => 800 + 5 * ((x + 30) % 60));
    assert.deepEqual(blockMeans(xs, saw, 120), [947.5, 947.5, 947.5]);
    assert.ok(Math.abs(driftPercent(xs, saw)) > 0.5);
    // Growth shows: +1 per second.
    assert.deepEqual(
      blockMeans(
        xs,
        xs.map((x) => 100 + x),
        120,
      ),
      [159.5, 279.5, 399.5],
    );
    assert.deepEqual(blockMeans([0, 1], [5, 5], 120), []);
  });

  it('quantiles are by nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.equal(quantile(xs, 0.5), 50);
    assert.equal(quantile(xs, 0.99), 99);
    assert.equal(quantile([7], 0.99), 7);
    assert.ok(Number.isNaN(quantile([], 0.5)));
  });
});
