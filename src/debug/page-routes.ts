import type { ServerResponse } from 'node:http';
import { PushHistory } from '../xds';
import { convergenceSvg } from './convergence-svg';
import { PAGE_CSS, PAGE_HTML, PAGE_JS } from './page/page-html';
import { json, type Route } from './server';
import { pageOf, PageError, type DebugViews } from './views';
import { ExplainError } from '../explain';
import { explainInputOf } from './explain-params';

// The page loads only what this port serves; nothing inline runs.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function asset(res: ServerResponse, type: string, body: string): void {
  res.writeHead(200, {
    'content-type': `${type}; charset=utf-8`,
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** An empty history for a server that keeps none, so the page still renders. */
const NONE = new PushHistory({ maxPushes: 0, maxSamples: 0 });

/** The introspection page and the two views only it needs (push history, the convergence plot). */
export function pageRoutes(v: DebugViews): Route[] {
  const history = () => v.history?.() ?? NONE;
  const explain = v.explain;
  // Listed only where the server can answer: the page offers its form by this entry.
  const explainRoute: Route[] = explain
    ? [
        {
          path: '/debug/explain',
          summary:
            'one request (?source=&destination=&method=&path=&header=&jwt=&jwtClaims=&principal=&tcp=&sni=) through the configuration served now, as explain -o json prints it',
          handle: (u, res) => {
            const input = explainInputOf(u.searchParams, Math.floor(Date.now() / 1000));
            let answer;
            try {
              answer = explain(input);
            } catch (e) {
              if (!(e instanceof ExplainError)) throw e;
              // resolve.ts names the value it could not find; say which parameter carried it.
              const param = input.from !== undefined && e.message.includes(input.from) ? 'source' : 'destination';
              throw new PageError(`${param}: ${e.message}`);
            }
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(answer, null, 2) + '\n');
          },
        },
      ]
    : [];
  return [
    ...explainRoute,
    {
      path: '/debug/page',
      summary: 'a page for people: waypoints, connected proxies, recent pushes and NACKs, convergence',
      handle: (_u, res) => asset(res, 'text/html', PAGE_HTML),
    },
    {
      path: '/debug/page.js',
      summary: "the page's script",
      handle: (_u, res) => asset(res, 'text/javascript', PAGE_JS),
    },
    { path: '/debug/page.css', summary: "the page's style", handle: (_u, res) => asset(res, 'text/css', PAGE_CSS) },
    {
      path: '/debug/pushz',
      summary:
        'recent responses to proxies with their ACK or NACK, newest first (?limit=), and the last hour of convergence times',
      handle: (u, res) => {
        const h = history();
        json(res, 200, {
          pushes: h.recent(pageOf(u.searchParams).limit).map((p) => ({ ...p })),
          convergence: h.convergence().map((c) => ({ ...c })),
        });
      },
    },
    {
      path: '/debug/convergence.svg',
      summary: 'the last hour of convergence times, plotted',
      handle: (_u, res) => {
        const h = history();
        asset(res, 'image/svg+xml', convergenceSvg(h.convergence(), Date.now(), h.windowMs));
      },
    },
  ];
}
