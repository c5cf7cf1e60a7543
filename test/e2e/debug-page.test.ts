import { strict as assert } from 'node:assert';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { DeltaClient } from '../support/xds-client';
import { PROJECT_ROOT, startServe } from './serve-process';
import { until } from '../support/until';

const NODE = 'waypoint~10.42.2.10~reviews-svc-waypoint-c49f9f569-b492t.default~default.svc.cluster.local';
const PROXY = 'reviews-svc-waypoint-c49f9f569-b492t.default';
const REVIEWS_ROUTE = 'inbound-vip|9080|http|reviews.default.svc.cluster.local';
const SCREENSHOT = join(PROJECT_ROOT, 'docs', 'img', 'debug-page.png');

/** The Debian package's binary, or one named by $CHROMIUM_PATH. */
function findChromium(): string | undefined {
  return [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']
    .filter((p): p is string => !!p)
    .find((p) => existsSync(p));
}

describe('the debug page, in a real browser (debug.go: Syncz and ambientz data, ctrlz-style page)', () => {
  it('shows the waypoints, a connected proxy sync state per type, its pushes and NACK, the convergence plot, and explains a request', async (t) => {
    const chromium = findChromium();
    if (!chromium) return t.skip('no Chromium binary (apt-get install chromium, or set CHROMIUM_PATH)');
    const puppeteer = await import('puppeteer-core');
    const dir = mkdtempSync(join(tmpdir(), 'istiod-lite-page-'));
    cpSync(join(PROJECT_ROOT, 'examples', 'bookinfo'), dir, { recursive: true });
    const served = await startServe(['--config-dir', dir, '--debounce-after', '20ms']);
    const client = new DeltaClient(`127.0.0.1:${served.xdsPort}`, {
      id: NODE,
      metadata: {
        NAMESPACE: 'default',
        LABELS: { 'gateway.networking.k8s.io/gateway-name': 'reviews-svc-waypoint' },
        CLUSTER_ID: 'Kubernetes',
        ISTIO_VERSION: '1.30.3',
      },
    });
    const browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      // Root in a container has no user namespace for Chromium's sandbox.
      args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
    });
    try {
      client.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
      client.ack(await client.next());
      client.send({ type_url: TypeUrl.Route, subscribe: [REVIEWS_ROUTE] });
      client.ack(await client.next());
      client.send({ type_url: TypeUrl.Listener, subscribe: ['*'] });
      client.nack(await client.next(), 'listener main_internal: test refuses it');
      // An edit on disk is pushed; its ACK is a convergence sample.
      const file = join(dir, 'policies.yaml');
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace('weight: 90', 'weight: 80').replace('weight: 10', 'weight: 20'),
      );
      const pushed = await client.next(10_000);
      assert.equal(pushed.type_url, TypeUrl.Route);
      client.ack(pushed);
      const base = `http://127.0.0.1:${served.debugPort}`;
      await until(
        async () => {
          const h = (await (await fetch(`${base}/debug/pushz`)).json()) as { convergence: unknown[] };
          return h.convergence.length > 0;
        },
        'the RDS push acknowledged',
        5_000,
      );

      const page = await browser.newPage();
      await page.setViewport({ width: 1100, height: 800 });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await page.goto(`${base}/debug/page`);
      await page.waitForSelector('body[data-loaded]');
      const text = (sel: string) => page.$$eval(sel, (els) => els.map((e) => (e.textContent ?? '').trim()));

      const waypoints = await text('#waypoints > table tbody tr td:first-child');
      assert.deepEqual(waypoints, [
        'default/reviews-svc-waypoint',
        'default/reviews-v2-pod-waypoint',
        'default/waypoint',
      ]);
      const [reviews] = await text('tr[data-waypoint="default/reviews-svc-waypoint"]');
      assert.match(reviews!, /Service default\/reviews \(its own istio\.io\/use-waypoint label\)/);

      const proxies = await text('#proxies tbody tr td:first-child');
      assert.deepEqual(proxies, [PROXY]);
      const cell = async (type: string) => (await text(`tr[data-proxy="${PROXY}"] td[data-type="${type}"]`))[0];
      assert.equal(await cell('Cluster'), 'SYNCED');
      assert.equal(await cell('RouteConfiguration'), 'SYNCED');
      assert.equal(await cell('Listener'), 'NACKED');

      const pushes = await text('#pushes tbody tr');
      assert.ok(
        pushes.some((r) => r.includes(PROXY) && r.includes('RDS') && r.endsWith('ACK')),
        pushes.join('\n'),
      );
      assert.ok(
        pushes.some((r) => r.includes('LDS') && r.includes('NACK: listener main_internal: test refuses it')),
        pushes.join('\n'),
      );
      const samples = await page.$$('#convergence-plot svg circle.sample');
      assert.ok(samples.length >= 1, 'one dot per acknowledged push');
      const [summary] = await text('#convergence-plot svg text.summary');
      assert.match(summary!, /^\d+ acknowledged push(es)? · p50/);

      // The explain box asks /debug/explain and shows the verdict the user reads.
      assert.equal(await page.$eval('#explain-form button', (b) => b.hasAttribute('disabled')), false);
      const ask = async (fields: Record<string, string>) => {
        for (const name of ['source', 'destination', 'method', 'path'])
          await page.$eval(
            `#explain-form input[name="${name}"]`,
            (i) => ((i as unknown as { value: string }).value = ''),
          );
        for (const [name, value] of Object.entries(fields))
          await page.type(`#explain-form input[name="${name}"]`, value);
        await page.$eval('#explain-result', (r) => r.replaceChildren());
        await page.click('#explain-form button');
        await page.waitForSelector('#explain-verdict, #explain-result.bad');
        return {
          verdict: (await text('#explain-result'))[0] ?? '',
          answer: (await text('#explain-verdict'))[0] ?? '',
          steps: await text('#explain-result ol.journey > li > strong'),
        };
      };
      // policies.yaml's only AuthorizationPolicy (viewer) is attached to the
      // namespace waypoint and allows GET only: DELETE to productpage, which
      // that waypoint serves, is refused (rbac.go: ALLOW with no match).
      const denied = await ask({
        source: 'default/notsleep-685df55c6c-nwhs6',
        destination: 'productpage.default:9080',
        method: 'DELETE',
      });
      assert.equal(denied.answer, 'Answer: 403 RBAC: access denied (no ALLOW policy matched)', denied.verdict);
      // reviews has a waypoint of its own with no policy; the answer follows
      // the weights this test just wrote (80/20), so it is what is served now.
      const toReviews = await ask({
        source: 'default/productpage-v1-675fc69cf-fp65z',
        destination: 'reviews.default:9080',
        path: '/reviews/1',
      });
      assert.match(
        toReviews.answer,
        /^Answer: forwarded to outbound\|9080\|\|reviews-v1\.default\.svc\.cluster\.local → [\d.:]+ \(80%\); outbound\|9080\|\|reviews-v2\.default\.svc\.cluster\.local → [\d.:]+ \(20%\)$/,
        toReviews.verdict,
      );
      assert.deepEqual(toReviews.steps, [
        'Request:',
        'Destination:',
        'Waypoint:',
        'Chain:',
        'Route:',
        'Cluster:',
        'Cluster:',
      ]);
      assert.deepEqual(errors, []);
      // A bad parameter: the endpoint's 400 message is shown (Chromium logs the 400 itself).
      const bad = await ask({ destination: 'reviews.default:9080', method: 'G T' });
      assert.equal(bad.verdict, 'method "G T" is not an HTTP method');
      assert.deepEqual(errors.splice(0), [
        'Failed to load resource: the server responded with a status of 400 (Bad Request)',
      ]);
      await ask({
        source: 'default/productpage-v1-675fc69cf-fp65z',
        destination: 'reviews.default:9080',
        path: '/reviews/1',
      });
      assert.deepEqual(errors, []);

      // The docs' screenshot is rewritten only when asked, as golden files are.
      const shot = process.env.UPDATE_SCREENSHOT ? SCREENSHOT : join(dir, 'debug-page.png');
      mkdirSync(dirname(shot), { recursive: true });
      await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
      assert.deepEqual([...readFileSync(shot).subarray(1, 4)], [...Buffer.from('PNG')]);
    } finally {
      await browser.close();
      client.close();
      await served.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
